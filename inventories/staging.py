"""Staging: an example, deployed exactly like prod (`pyinfra inventories/staging.py deploy.py`)."""

db = [
    ("db1.staging.example.com", {
        "ssh_user": "admin",
        "_sudo": True,
    }),
]
