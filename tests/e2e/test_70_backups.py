"""Backups proven by restoring them: a point-in-time restore keeps exactly what was committed
before the target, the latest restore matches the live database, and the cipher pass of an
existing repository cannot change."""

import json
import time

import pytest

from conftest import psql
from tasks.backups import DRILL_REPORT
from test_50_access import read_secrets

DRILL_DIR = "/var/lib/pgdeploy-restore-drill"


@pytest.fixture(scope="module")
def pg1(fleet, deployed):
    server = fleet.servers[0]
    yield server
    psql(fleet, server, "DELETE FROM users WHERE external_id LIKE 'pitr-%'")


def insert(fleet, server, batch: str, n: int = 5) -> None:
    out = psql(fleet, server, f"INSERT INTO users (external_id, email) SELECT 'pitr-{batch}-' || i, "
                              f"'pitr-{batch}-' || i || '@example.com' FROM generate_series(1, {n}) i")
    assert out.returncode == 0, out.stderr


def sql(fleet, server, query: str) -> str:
    out = psql(fleet, server, query)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def drill(fleet, run_pyinfra, server, *data: str) -> dict:
    fleet.ssh(server, f"rm -f {DRILL_REPORT}")
    run = run_pyinfra("--limit", server.name, "-v", *data, deploy="restore_drill.py")
    assert run.rc == 0, run.log[-3000:]
    return json.loads(fleet.ssh(server, f"cat {DRILL_REPORT}").stdout)


def started(fleet, server) -> str:
    return sql(fleet, server, "SELECT pg_postmaster_start_time()")


def test_point_in_time_restore(fleet, pg1, run_pyinfra):
    insert(fleet, pg1, "a")
    backup = fleet.ssh(pg1, "cd / && runuser -u postgres -- pgbackrest --stanza=main --repo=1 --type=full backup")
    assert backup.returncode == 0, backup.stderr
    insert(fleet, pg1, "b")
    target = sql(fleet, pg1, "SELECT now()")
    time.sleep(1.1)
    insert(fleet, pg1, "c")
    sql(fleet, pg1, "SELECT pg_switch_wal()")
    live_started = started(fleet, pg1)
    report = drill(fleet, run_pyinfra, pg1, "--data", f"restore_target={target}")
    users = report["tables"]["users"]
    before_target = int(sql(fleet, pg1, f"SELECT count(*) FROM users WHERE created_at <= '{target}'"))
    assert users["live"] == users["restored"] and users["live"].startswith(f"{before_target} ")
    assert users["restored_rows"] == before_target, "rows committed after the target were restored"
    assert int(sql(fleet, pg1, "SELECT count(*) FROM users WHERE external_id LIKE 'pitr-c-%'")) == 5
    assert int(sql(fleet, pg1, f"SELECT count(*) FROM users WHERE external_id LIKE 'pitr-b-%' "
                               f"AND created_at <= '{target}'")) == 5
    assert report["match"] is True and report["restore_seconds"] > 0
    # The live cluster was not restarted or touched, and the scratch copy is gone.
    assert started(fleet, pg1) == live_started
    assert fleet.ssh(pg1, f"test -e {DRILL_DIR}").returncode == 1


def test_latest_backup_restores_everything(fleet, pg1, run_pyinfra):
    insert(fleet, pg1, "d")
    report = drill(fleet, run_pyinfra, pg1)
    assert report["match"] is True
    assert all(t["live"] == t["restored"] for t in report["tables"].values())
    assert report["tables"]["users"]["restored_rows"] >= 5
    assert 0 <= report["rpo_seconds"] < 120


def test_changed_cipher_pass_is_refused(fleet, pg1, run_pyinfra, inventory_with, tmp_path):
    values = read_secrets(fleet.secrets)
    values["PGDEPLOY_BACKUP_CIPHER_PASS"] = "a-different-cipher-pass-0123456789"
    secrets = tmp_path / "secrets"
    secrets.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    secrets.chmod(0o600)
    before = fleet.ssh(pg1, "sha256sum /etc/pgbackrest/conf.d/pgdeploy-cipher.conf").stdout
    run = run_pyinfra("--limit", pg1.name, inventory=inventory_with(secrets_file=str(secrets)))
    assert run.rc != 0
    assert "differs from the one stanza 'main' was created with; it cannot change once the stanza exists" in run.log
    assert fleet.ssh(pg1, "sha256sum /etc/pgbackrest/conf.d/pgdeploy-cipher.conf").stdout == before
    assert "a-different-cipher-pass-0123456789" not in run.log


def test_restore_from_the_repository_host_after_repo1_is_lost(fleet, pg1, run_pyinfra):
    """repo2 on the dedicated repository host is a backup on its own: with the database
    server's repo1 gone, the drill restores from it, WAL archived to it included."""
    backup1 = fleet.backups[0]
    pulled = fleet.ssh(backup1, "cd / && runuser -u pgbackrest -- pgbackrest --stanza=main --output=json info")
    assert pulled.returncode == 0, pulled.stderr
    [info] = json.loads(pulled.stdout)
    assert [b["database"]["repo-key"] for b in info["backup"]] and info["cipher"] == "aes-256-cbc"
    insert(fleet, pg1, "e")  # after repo2's last backup: only repo2's archived WAL has these rows
    repo1 = "/var/lib/pgbackrest"
    # repo1 dies with the database server's disk. (Moved aside, so later tests get it back.)
    lost = fleet.ssh(pg1, f"mv {repo1} {repo1}.lost && install -d -o postgres -g postgres -m 750 {repo1}")
    assert lost.returncode == 0, lost.stderr
    try:
        assert fleet.ssh(pg1, f"find {repo1} -mindepth 1 | wc -l").stdout.strip() == "0"
        report = drill(fleet, run_pyinfra, pg1, "--data", "restore_repo=2")
    finally:
        fleet.ssh(pg1, f"rm -rf {repo1} && mv {repo1}.lost {repo1}")
    assert report["repo"] == "--repo=2" and report["match"] is True
    users = report["tables"]["users"]
    assert users["live"] == users["restored"]
    assert int(sql(fleet, pg1, "SELECT count(*) FROM users WHERE external_id LIKE 'pitr-e-%'")) == 5
    assert users["restored_rows"] == int(sql(fleet, pg1, "SELECT count(*) FROM users"))
