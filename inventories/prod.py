"""Production: an example. Host names and addresses are yours to fill in.

Secrets never live here or anywhere in git: they come from the environment (or a 0600 file
named in inventory data). Settings not given here take their defaults from group_data/all.py.

    pyinfra inventories/prod.py deploy.py --dry --diff   # what would change
    pyinfra inventories/prod.py deploy.py                # apply
"""

db = [
    ("db1.example.com", {
        "ssh_user": "admin",
        "_sudo": True,
        "postgres_listen_addresses": ["localhost", "10.0.0.10"],
    }),
]
