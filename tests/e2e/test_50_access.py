"""Roles, pg_hba and TLS proven from a real client: psycopg on this machine connects to the
server's address over TLS; a second server plays a client from a disallowed address."""

from __future__ import annotations

import json
import os
import runpy
import subprocess

import psycopg
import pytest
from psycopg import errors

from conftest import PROJECT, psql
from tests.certs import make_pair

ROLES = {"migrator": "chat_migrator", "app": "chat_app", "readonly": "chat_readonly"}
VARIABLES = {"migrator": "PGDEPLOY_MIGRATOR_PASSWORD", "app": "PGDEPLOY_APP_PASSWORD",
             "readonly": "PGDEPLOY_READONLY_PASSWORD"}


def read_secrets(path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@pytest.fixture(scope="module")
def pg1(fleet, deployed):
    return fleet.servers[0]


@pytest.fixture(scope="module")
def passwords(fleet) -> dict[str, str]:
    values = read_secrets(fleet.secrets)
    return {kind: values[variable] for kind, variable in VARIABLES.items()}


def connect(server, kind: str, password: str, dbname: str = "chat", sslmode: str = "require"):
    return psycopg.connect(host=server.address, port=5432, dbname=dbname, user=ROLES[kind], password=password,
                           sslmode=sslmode, connect_timeout=5, autocommit=True)


def test_app_reads_and_writes_over_tls(pg1, passwords):
    with connect(pg1, "app", passwords["app"]) as conn:
        assert conn.pgconn.ssl_in_use
        version = conn.execute("SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()[0]
        assert version in ("TLSv1.2", "TLSv1.3")
        conn.execute("INSERT INTO users (external_id, email) VALUES ('tls_user', 'tls@example.com')")
        conn.execute("UPDATE users SET full_name = 'T' WHERE external_id = 'tls_user'")
        assert conn.execute("SELECT full_name FROM users WHERE external_id = 'tls_user'").fetchone() == ("T",)
        conn.execute("DELETE FROM users WHERE external_id = 'tls_user'")


@pytest.mark.parametrize("statement", [
    "DROP TABLE messages",
    "TRUNCATE users",
    "ALTER TABLE users ADD COLUMN extra int",
    "CREATE TABLE mine (n int)",
    "CREATE TEMP TABLE mine (n int)",
    "SELECT rolpassword FROM pg_authid",
])
def test_app_cannot_change_the_schema_or_read_secrets(pg1, passwords, statement):
    with connect(pg1, "app", passwords["app"]) as conn, pytest.raises(errors.InsufficientPrivilege):
        conn.execute(statement)


@pytest.mark.parametrize("statement", [
    "INSERT INTO users (external_id, email) VALUES ('ro', 'ro@example.com')",
    "UPDATE users SET full_name = 'x'",
    "DELETE FROM messages",
])
def test_readonly_cannot_write(pg1, passwords, statement):
    with connect(pg1, "readonly", passwords["readonly"]) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] >= 0
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)


def test_wrong_password_is_rejected(pg1, passwords):
    with pytest.raises(psycopg.OperationalError, match='password authentication failed for user "chat_app"'):
        connect(pg1, "app", passwords["app"] + "x")


def test_unencrypted_connection_is_rejected(pg1, passwords):
    with pytest.raises(psycopg.OperationalError, match="no pg_hba.conf entry for host .* no encryption"):
        connect(pg1, "app", passwords["app"], sslmode="disable")


def test_database_not_listed_for_the_role_is_rejected(pg1, passwords):
    with pytest.raises(psycopg.OperationalError, match='no pg_hba.conf entry .* database "postgres", SSL encryption'):
        connect(pg1, "app", passwords["app"], dbname="postgres")


def test_disallowed_client_address_is_rejected(fleet, pg1, passwords):
    pg2 = fleet.servers[1]
    # The password travels on stdin, not in either machine's command lines.
    client = subprocess.run(
        ["ssh", "-F", str(fleet.ssh_config), pg2.name,
         f"read -r PGPASSWORD; export PGPASSWORD; cd / && psql 'host={pg1.address} dbname=chat user=chat_app "
         f"sslmode=require connect_timeout=5' -c 'SELECT 1'"],
        input=passwords["app"] + "\n", capture_output=True, text=True, timeout=60)
    assert client.returncode != 0
    assert f'no pg_hba.conf entry for host "{pg2.address}", user "chat_app", database "chat"' in client.stderr


def test_role_attribute_changes_are_applied(fleet, pg1, run_pyinfra, inventory_with):
    defaults = runpy.run_path(str(PROJECT / "group_data/all.py"))["app_role_limits"]
    limits = {**defaults, "app": {"connection_limit": 7, "statement_timeout": "1min"}}
    run = run_pyinfra("--limit", pg1.name, inventory=inventory_with(app_role_limits=limits))
    assert run.rc == 0, run.log[-2000:]
    changed = [op["name"] for op in run.results["operations"] if op["success"]]
    assert changed == ["Application database and roles | The app role"]
    row = psql(fleet, pg1, "SELECT rolconnlimit, array_to_string(rolconfig, ',') FROM pg_roles "
                           "WHERE rolname = 'chat_app'").stdout.strip()
    assert row == "7|statement_timeout=1min"
    back = run_pyinfra("--limit", pg1.name)
    assert back.rc == 0 and back.changed == 1, back.log[-2000:]


def test_password_change_is_applied_once_and_never_leaks(fleet, deployed, pg1, passwords, run_pyinfra,
                                                         inventory_with, tmp_path):
    new = {kind: f"changed-{kind}-{os.urandom(12).hex()}" for kind in VARIABLES}
    secrets = tmp_path / "secrets"
    cipher = read_secrets(fleet.secrets)["PGDEPLOY_BACKUP_CIPHER_PASS"]
    secrets.write_text("".join(f"{VARIABLES[k]}={v}\n" for k, v in new.items())
                       + f"PGDEPLOY_BACKUP_CIPHER_PASS={cipher}\n")
    secrets.chmod(0o600)
    inventory = inventory_with(secrets_file=str(secrets))
    # Sample every process's command line on the server while the deploy runs.
    sampler = subprocess.Popen(["ssh", "-F", str(fleet.ssh_config), pg1.name,
                                "for i in $(seq 1500); do ps -eo args; sleep 0.02; done"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    run = run_pyinfra("--limit", pg1.name, "-vvv", inventory=inventory)
    sampler.terminate()
    samples = sampler.communicate()[0]
    assert run.rc == 0, run.log[-2000:]
    changed = sorted(op["name"] for op in run.results["operations"] if op["success"])
    assert changed == [f"Application database and roles | The {k} role" for k in ("app", "migrator", "readonly")]
    assert samples.count("ps -eo args") > 20, "the sampler did not run during the deploy"
    logs = "".join(fleet.ssh(server, "cat /var/log/postgresql/*.log /var/log/pgbackrest/*.log; "
                                     "journalctl --no-pager -o cat").stdout for server in (pg1, fleet.backups[0]))
    output = run.log + json.dumps(run.results) + deployed.log + json.dumps(deployed.results)
    for password in [*new.values(), *passwords.values(), cipher]:
        for where, text in (("pyinfra output", output), ("process list", samples), ("server logs", logs)):
            assert password not in text, f"a password appeared in the {where}"
    # The backup link's private keys, made on this machine and uploaded by the cold deploy.
    keys = [fleet.ssh(pg1, "cat /var/lib/postgresql/.ssh/id_ed25519").stdout,
            fleet.ssh(fleet.backups[0], "cat /home/pgbackrest/.ssh/id_ed25519").stdout]
    key_lines = [line for key in keys for line in key.splitlines() if line and not line.startswith("-----")]
    assert len(key_lines) >= 8
    assert not [line for line in key_lines if line in output or line in logs], "a private key appeared"
    connect(pg1, "app", new["app"]).close()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect(pg1, "app", passwords["app"])
    again = run_pyinfra("--limit", pg1.name, inventory=inventory)
    assert (again.rc, again.changed) == (0, 0), again.log[-2000:]
    back = run_pyinfra("--limit", pg1.name)
    assert back.rc == 0 and back.changed == 3, back.log[-2000:]
    connect(pg1, "app", passwords["app"]).close()


def test_supplied_certificate_is_served_and_a_mismatched_key_refused(fleet, pg1, passwords, run_pyinfra,
                                                                     inventory_with, tmp_path):
    cert, key = make_pair(tmp_path, pg1.address)
    _, other_key = make_pair(tmp_path, "other")
    before = fleet.ssh(pg1, "sha256sum /etc/postgresql/15/main/tls/server.key").stdout
    refused = run_pyinfra("--limit", pg1.name, inventory=inventory_with(postgres_tls_cert=cert,
                                                                         postgres_tls_key=other_key))
    assert refused.rc != 0
    assert f"postgres_tls_key {other_key!r} does not belong to postgres_tls_cert {cert!r}" in refused.log
    assert fleet.ssh(pg1, "sha256sum /etc/postgresql/15/main/tls/server.key").stdout == before
    run = run_pyinfra("--limit", pg1.name, inventory=inventory_with(postgres_tls_cert=cert, postgres_tls_key=key))
    assert run.rc == 0, run.log[-2000:]
    # The deploy reloaded the server for the new certificate: the client verifies it as its CA.
    with psycopg.connect(host=pg1.address, dbname="chat", user=ROLES["app"], password=passwords["app"],
                         sslmode="verify-ca", sslrootcert=cert, connect_timeout=5) as conn:
        assert conn.pgconn.ssl_in_use
    mode = fleet.ssh(pg1, "stat -c '%a %U' /etc/postgresql/15/main/tls/server.key").stdout.strip()
    assert mode == "600 postgres"
