"""Deploy speed, side by side in one run on fresh disposable servers (warm apt cache):

  cold   fresh server -> deployed -> verified by the testinfra suite (pyinfra CLI)
  warm   the same deploy again on the provisioned server (must report zero changes)
  shell  the same work as one plain shell script over SSH, on another fresh server
  pgvector  what the pgvector steps add: deploy.py against the same deploy without them
            (and without the schema migrations, which need the extension)
  The shell script does the deploy's work but the systemd timers and the restore drill script.

    sudo .venv/bin/python bench/deploy.py [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from servers.fleet import Fleet  # noqa: E402
from servers.paths import PROXY_URL  # noqa: E402

BIN = Path(sys.executable).parent
INVENTORY = PROJECT / "inventories/local.py"

# What deploy.py does for PostgreSQL on Debian 12 with the defaults, written as plain shell.
SHELL = r"""set -e
mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/00-pgdeploy.conf
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-client-15 procps >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends build-essential postgresql-server-dev-15 curl >/dev/null
mkdir -p /var/tmp/pgv && cd /var/tmp/pgv
http_proxy=$PROXY curl -fsSL -o pgv.tgz "$SOURCE"
echo "$SHA256  pgv.tgz" | sha256sum -c --quiet
tar xzf pgv.tgz --strip-components=1 && make -j"$(nproc)" OPTFLAGS="" PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null 2>&1
make install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
pg_createcluster 15 main --port 5432 --locale C.UTF-8 --encoding UTF8 -- --data-checksums >/dev/null
C=/etc/postgresql/15/main
mkdir -m 700 $C/tls && (umask 077 && openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -subj /CN=pg -keyout $C/tls/server.key -out $C/tls/server.crt 2>/dev/null) && chown -R postgres: $C/tls
cat > $C/conf.d/50-pgdeploy.conf <<'CONF'
listen_addresses = 'localhost'
ssl = on
ssl_cert_file = '/etc/postgresql/15/main/tls/server.crt'
ssl_key_file = '/etc/postgresql/15/main/tls/server.key'
ssl_min_protocol_version = 'TLSv1.2'
password_encryption = 'scram-sha-256'
shared_buffers = 6GB
effective_cache_size = 18GB
maintenance_work_mem = 1506MB
work_mem = 29MB
huge_pages = try
CONF
printf 'local all postgres peer\nhostssl chat chat_app 10.0.0.0/8 scram-sha-256\n' > $C/pg_hba.conf
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbackrest >/dev/null
install -d -o postgres -g postgres -m 750 /var/lib/pgbackrest /var/spool/pgbackrest && mkdir -p /etc/pgbackrest
cat > /etc/pgbackrest/pgbackrest.conf <<'CONF'
[global]
repo1-path=/var/lib/pgbackrest
repo1-retention-full=2
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=@CIPHER@
compress-type=zst
process-max=2
start-fast=y
archive-async=y
spool-path=/var/spool/pgbackrest
[main]
pg1-path=/var/lib/postgresql/15/main
CONF
chgrp postgres /etc/pgbackrest/pgbackrest.conf && chmod 640 /etc/pgbackrest/pgbackrest.conf
printf "archive_mode = on\narchive_command = 'pgbackrest --stanza=main archive-push %%p'\narchive_timeout = 60s\n" > $C/conf.d/60-archive.conf
systemctl enable --now postgresql@15-main
cd / && runuser -u postgres -- psql -q <<'SQL'
CREATE ROLE chat_owner NOLOGIN;
CREATE ROLE chat_migrator LOGIN CONNECTION LIMIT 5 PASSWORD '@MIGRATOR@' IN ROLE chat_owner;
CREATE ROLE chat_app LOGIN PASSWORD '@APP@';
ALTER ROLE chat_app SET statement_timeout = '30s';
CREATE ROLE chat_readonly LOGIN CONNECTION LIMIT 20 PASSWORD '@READONLY@';
ALTER ROLE chat_readonly SET statement_timeout = '5min';
CREATE DATABASE chat OWNER chat_owner;
SQL
runuser -u postgres -- psql -q -d chat <<'SQL'
REVOKE ALL ON DATABASE chat FROM PUBLIC;
GRANT CONNECT ON DATABASE chat TO chat_migrator, chat_app, chat_readonly;
ALTER SCHEMA public OWNER TO chat_owner;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO chat_app, chat_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE chat_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO chat_app;
ALTER DEFAULT PRIVILEGES FOR ROLE chat_owner IN SCHEMA public GRANT SELECT ON TABLES TO chat_readonly;
CREATE EXTENSION vector;
SQL
"""


def timed(command: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    start = time.monotonic()
    proc = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, **kwargs)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return elapsed, proc


def pyinfra(server: str, deploy: str) -> list[str]:
    return [str(BIN / "pyinfra"), "-y", "--json", "--limit", server, str(INVENTORY), deploy]


def deploy_twice(server: str, deploy: str) -> tuple[float, float]:
    """Cold then warm; the warm run must report zero changes."""
    cold_s, _ = timed(pyinfra(server, deploy))
    warm_s, warm = timed(pyinfra(server, deploy))
    changes = json.loads(warm.stdout)["results"]["totals"]["success"]
    if changes:
        sys.exit(f"warm re-run of {deploy} reported {changes} change(s); expected zero")
    return cold_s, warm_s


def one_round(fleet: Fleet) -> dict[str, float]:
    deployed, plain, without = fleet.servers
    settings = runpy.run_path(str(PROJECT / "group_data/all.py"))
    source = runpy.run_path(str(INVENTORY))["servers"][0][1]["pgvector_source"]
    env = f"PROXY={PROXY_URL} SHA256={settings['pgvector_sha256']} SOURCE={source.format(version=settings['pgvector_version'])}"
    # The migrations, as the migrator acting as the owner, each in its transaction but 002.
    migrations = "".join(f"SET ROLE chat_owner;\n{p.read_text()}\n" for p in sorted((PROJECT / "sql").glob("*.sql")))
    migrations = migrations.replace(":'index_build_memory'", "'6GB'").replace(":index_build_workers", "1")
    script = SHELL
    for role in ("MIGRATOR", "APP", "READONLY", "CIPHER"):  # throw-away secrets, on stdin only
        script = script.replace(f"@{role}@", secrets.token_hex(16))
    script += f"runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -d chat <<'SQL'\n{migrations}SQL\n"
    script += "".join(f"runuser -u postgres -- pgbackrest --stanza=main {step} >/dev/null\n"
                      for step in ("stanza-create", "check", "--type=full backup"))
    shell_s, _ = timed(["ssh", "-F", str(fleet.ssh_config), plain.name, f"{env} bash -s"], input=script)
    deploy_s, warm_s = deploy_twice(deployed.name, "deploy.py")
    verify_s, _ = timed([str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "tests/server",
                         f"--hosts=ssh://{deployed.name}", f"--ssh-config={fleet.ssh_config}", f"--inventory={INVENTORY}"])
    bare_s, bare_warm_s = deploy_twice(without.name, "bench/deploys/without_pgvector.py")
    return {"shell": shell_s, "deploy": deploy_s, "verify": verify_s, "cold": deploy_s + verify_s, "warm": warm_s,
            "pgvector_cold": deploy_s - bare_s, "pgvector_warm": warm_s - bare_warm_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1, help="fresh server pairs to measure")
    args = parser.parse_args()
    rounds = []
    with tempfile.TemporaryDirectory(prefix="bench-deploy-") as run_dir:
        os.environ["SERVERS_RUN_DIR"] = run_dir  # read by inventories/local.py
        fleet = Fleet(Path(run_dir), log=lambda *_: None)
        try:
            for _ in range(args.rounds):
                fleet.up(["bookworm"] * 3)
                rounds.append(one_round(fleet))
                fleet.down()
        finally:
            fleet.down()
    med = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    print(f"rounds: {len(rounds)} (median)")
    print(f"plain shell, same work:         {med['shell']:6.1f} s")
    print(f"pyinfra deploy, cold:           {med['deploy']:6.1f} s   ({med['deploy'] / med['shell']:.2f}x shell)")
    print(f"cold + testinfra verification:  {med['cold']:6.1f} s   ({med['cold'] / med['shell']:.2f}x shell)")
    print(f"warm re-run (zero changes):     {med['warm']:6.1f} s   ({med['warm'] / med['deploy']:.2f}x cold)")
    print(f"pgvector steps add, cold:       {med['pgvector_cold']:6.1f} s")
    print(f"pgvector steps add, warm:       {med['pgvector_warm']:6.1f} s")


if __name__ == "__main__":
    main()
