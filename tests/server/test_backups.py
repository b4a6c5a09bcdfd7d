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


def test_repositories_are_sound_and_encrypted(info, settings):
    # repo1 here, and repo2 on the repository host when there is one.
    expected = [1, 2] if settings["backup_repo2_host"] else [1]
    assert [repo["key"] for repo in info["repo"]] == expected
    assert all(repo["status"]["code"] == 0 and repo["cipher"] == "aes-256-cbc" for repo in info["repo"])


def test_newest_backup_of_each_repository_is_fresh(info, settings):
    for repo in info["repo"]:
        newest = max(b["timestamp"]["stop"] for b in info["backup"] if b["database"]["repo-key"] == repo["key"])
        assert time.time() - newest < settings["backup_max_age_hours"] * 3600, f"repo{repo['key']} is stale"


def test_wal_goes_to_pgbackrest(psql, settings):
    assert psql("SHOW archive_mode") == "on"
    assert psql("SHOW archive_command") == f"pgbackrest --stanza={settings['backup_stanza']} archive-push %p"
    assert psql("SELECT failed_count = 0 OR last_archived_time > last_failed_time FROM pg_stat_archiver") == "t"


def test_cipher_pass_is_readable_by_postgres_only(host):
    conf = host.file("/etc/pgbackrest/conf.d/pgdeploy-cipher.conf")
    assert (conf.user, conf.group, conf.mode) == ("root", "postgres", 0o640)
