"""Every setting this project reads from inventory data, with its default.

This is the one place defaults live. Override any of them per environment in the inventory
(`inventories/prod.py`, as host or group data) or in another `group_data/<group>.py`.
Every key is validated (pgcore.settings) before any host is touched: a typo, a wrong type or
an impossible value stops the deploy with a one-line reason.
"""

# -- PostgreSQL itself ------------------------------------------------------------------------
# Major version to install. None: the distribution's own (Debian 12: 15, Debian 13: 17).
postgres_major = None
# Where packages come from: "debian" (the distribution) or "pgdg" (apt.postgresql.org,
# signed-by the key that Debian's postgresql-common ships; any supported major on any suite).
postgres_apt_source = "debian"
# PGDG repository URL, used only with postgres_apt_source = "pgdg".
postgres_pgdg_url = "https://apt.postgresql.org/pub/repos/apt"
# Cluster name (Debian's pg_createcluster), listen addresses and port.
postgres_cluster = "main"
postgres_listen_addresses = ["localhost"]
postgres_port = 5432
# TLS: a certificate and its private key (PEM files on the control machine), uploaded with
# the key 0600. None for both: a self-signed certificate is made on the server, once.
postgres_tls_cert = None
postgres_tls_key = None
# initdb settings; fixed once the cluster exists.
postgres_locale = "C.UTF-8"
postgres_encoding = "UTF8"
postgres_data_checksums = True

# -- Tuning: memory and parallelism are computed from each server's RAM and CPUs (PGTune's
# formulas, pgcore/tuning.py); these describe the workload they are computed for.
# "web", "oltp", "dw" (data warehouse), "mixed" or "desktop".
postgres_workload = "web"
# "ssd", "hdd", "san" or "nvme": sets random_page_cost and effective_io_concurrency.
postgres_storage = "ssd"
# None: the workload's default (web 200, oltp 300, dw 40, mixed 100, desktop 20).
postgres_max_connections = None
# The database size relative to RAM, if known: "smaller_than_ram" (work_mem x1.3) or
# "larger_than_ram" (x0.9). None: unknown.
postgres_data_size = None
# Any postgresql.conf setting, overriding the computed ones: {"work_mem": "64MB", ...}.
# Names are checked against the server's own catalog (postgres --describe-config).
postgres_settings = {}

# -- The application database and its roles --------------------------------------------------
app_database = "chat"
# Owns the database, its schema and every table; NOLOGIN, so nobody connects as it.
app_owner_role = "chat_owner"
# LOGIN roles: the schema migrations run as the migrator (a member of the owner); the app
# reads and writes rows (SELECT/INSERT/UPDATE/DELETE); readonly only reads.
app_migrator_role = "chat_migrator"
app_role = "chat_app"
app_readonly_role = "chat_readonly"
# Per LOGIN role ("migrator", "app", "readonly"): connection_limit (-1: none) and
# statement_timeout (None: the server's). Keys left out keep these.
app_role_limits = {
    "migrator": {"connection_limit": 5, "statement_timeout": None},
    "app": {"connection_limit": -1, "statement_timeout": "30s"},
    "readonly": {"connection_limit": 20, "statement_timeout": "5min"},
}
# Where each LOGIN role may connect from over the network: {"app": ["10.0.0.0/24"], ...}.
# Each CIDR becomes one `hostssl <db> <role> <cidr> scram-sha-256` line; local socket access
# is for the postgres superuser only. {}: no network access at all.
app_clients = {}

# -- Secrets: never in inventory or git ---------------------------------------------------------
# The environment variable holding each LOGIN role's password. When a variable is unset, its
# NAME=value line in secrets_file (a file on the control machine, mode 0600) is used instead.
password_secrets = {
    "migrator": "PGDEPLOY_MIGRATOR_PASSWORD",
    "app": "PGDEPLOY_APP_PASSWORD",
    "readonly": "PGDEPLOY_READONLY_PASSWORD",
}
secrets_file = None

# -- Backups with pgBackRest ------------------------------------------------------------------
# repo1 is a POSIX repository on the database server itself: fast restores, but it is NOT a
# backup on its own (it dies with the server's disk). repo2 lives on a dedicated repository
# host: a host of the inventory's `backup` group, named here (on the database server) by its
# inventory name. The deploy creates a `pgbackrest` user there, exchanges SSH keys between it
# and `postgres` here, pushes WAL to both repositories and pulls repo2's backups from the
# repository host. None: repo1 only.
backup_repo2_host = None
# The address the other end of that SSH link uses for this host; None: its SSH host name.
backup_ssh_address = None
backup_stanza = "main"
# repo1's path on a database server, and repo2's on a repository host (pgBackRest refuses two
# repositories of one stanza on the same path, even on different hosts).
backup_repo_path = "/var/lib/pgbackrest"
backup_repo2_path = "/var/lib/pgbackrest-repo2"
# Full backups to keep (older fulls and their diffs and WAL are expired); on a repository
# host, its own value applies to repo2.
backup_retention_full = 2
# The environment variable (or secrets_file entry) holding the repository's cipher pass
# (aes-256-cbc). It cannot change once the stanza exists: a changed pass is refused. repo2
# uses its repository host's pass.
backup_cipher_secret = "PGDEPLOY_BACKUP_CIPHER_PASS"
# systemd OnCalendar schedules (`systemd-analyze calendar` checks them).
backup_full_schedule = "Sun *-*-* 01:00:00"
backup_diff_schedule = "Mon..Sat *-*-* 01:00:00"
# When a repository host pulls repo2's backups: later than repo1's, because pgBackRest takes
# one backup of a stanza at a time (a clash fails one of them, which is logged at crit).
backup_repo2_full_schedule = "Sun *-*-* 03:00:00"
backup_repo2_diff_schedule = "Mon..Sat *-*-* 03:00:00"
backup_check_schedule = "hourly"
# The newest backup may be at most this old before the server suite calls it stale.
backup_max_age_hours = 26
# Where the restore drill (restore_drill.py) puts its scratch copy, and its port.
backup_drill_directory = "/var/lib/pgdeploy-restore-drill"
backup_drill_port = 54329
# The repository the restore drill restores from (1 or 2); None: pgBackRest's choice (repo1
# first). Given on the command line: pyinfra … restore_drill.py --data restore_repo=2
restore_repo = None
# The restore drill's point-in-time target, e.g. "2026-12-03 21:30:00+00"; None: the latest.
# Given on the command line: pyinfra … restore_drill.py --data restore_target="…"
restore_target = None

# -- Importing a Convex export on the server (import_convex.py) ------------------------------
# The ZIP of `npx convex export`, on the control machine; given on the command line:
# pyinfra … import_convex.py --data convex_export=snapshot.zip
convex_export = None
# A JSON file renaming Convex tables and fields (see the README); None: the app's own names.
convex_mapping = None
# Finish, and never import this export again, even though documents were rejected.
convex_allow_rejects = False

# -- Schema migrations ----------------------------------------------------------------------------
# The versioned migrations (NNN_name.sql) on the control machine, relative to the project.
migrations_dir = "sql"
# How long a migration's statement may wait for a lock (on a busy table) before it fails.
migrations_lock_timeout = "10s"

# -- pgvector, built from pinned, checksummed source ----------------------------------------
pgvector_version = "0.8.0"
pgvector_sha256 = "867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0"
# A URL the server downloads, or a file on the control machine that is uploaded.
# "{version}" is replaced with pgvector_version.
pgvector_source = "https://github.com/pgvector/pgvector/archive/refs/tags/v{version}.tar.gz"

# -- The servers' own network -----------------------------------------------------------------
# HTTP proxy for downloads made on the server (the pgvector source); None: direct.
http_proxy = None
