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
        # The app servers' network; the read-only role for the analysts' VPN.
        "app_clients": {"app": ["10.0.1.0/24"], "readonly": ["10.8.0.0/16"], "migrator": ["10.0.1.0/24"]},
        # Or export PGDEPLOY_*_PASSWORD; the file must be mode 0600 and outside git.
        "secrets_file": "/etc/pgdeploy/prod.secrets",
        # repo2 on the dedicated repository host below (same Debian release as this server).
        "backup_repo2_host": "backup1.example.com",
    }),
]

# pgBackRest repository hosts: they get only pgBackRest, and keep repo2 of the servers above.
backup = [
    ("backup1.example.com", {"ssh_user": "admin", "_sudo": True, "secrets_file": "/etc/pgdeploy/prod.secrets"}),
]
