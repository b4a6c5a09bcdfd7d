"""Backups: WAL archiving to pgBackRest, an encrypted repository that passes `check`, a fresh
backup, and the timers that keep it so."""

import json
import time

import pytest

TIMERS = ("pgbackrest-full.timer", "pgbackrest-diff.timer", "pgbackrest-check.timer")


@pytest.fixture(scope="module")
def info(host, settings):
    out = host.check_output(f"cd / && runuser -u postgres -- pgbackrest --stanza={settings['backup_stanza']} "
                            f"--output=json info")
    [stanza] = json.loads(out)
    return stanza


@pytest.mark.parametrize("timer", TIMERS)
def test_timer_enabled_and_waiting(host, timer):
    service = host.service(timer)
    assert service.is_enabled and service.is_running


def test_check_passes(host, settings):
    result = host.run(f"cd / && runuser -u postgres -- pgbackrest --stanza={settings['backup_stanza']} check")
    assert result.rc == 0, result.stderr


def test_repository_is_encrypted(info):
    assert info["status"]["code"] == 0
    assert info["cipher"] == "aes-256-cbc"


def test_newest_backup_is_fresh(info, settings):
    newest = max(backup["timestamp"]["stop"] for backup in info["backup"])
    assert time.time() - newest < settings["backup_max_age_hours"] * 3600


def test_wal_goes_to_pgbackrest(psql, settings):
    assert psql("SHOW archive_mode") == "on"
    assert psql("SHOW archive_command") == f"pgbackrest --stanza={settings['backup_stanza']} archive-push %p"
    assert psql("SELECT failed_count = 0 OR last_archived_time > last_failed_time FROM pg_stat_archiver") == "t"


def test_cipher_pass_is_readable_by_postgres_only(host):
    conf = host.file("/etc/pgbackrest/conf.d/pgdeploy-cipher.conf")
    assert (conf.user, conf.group, conf.mode) == ("root", "postgres", 0o640)
