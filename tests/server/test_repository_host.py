"""A pgBackRest repository host (the inventory's `backup` group): it keeps repo2 of its
database servers, encrypted, pulls fresh backups of each on schedule, and lets in their
postgres keys only."""

import json
import time

import pytest

from test_backups import TIMERS

USER, HOME = "pgbackrest", "/home/pgbackrest"


@pytest.fixture(scope="module")
def stanzas(host, inventory) -> list[str]:
    """The stanzas of the database servers that keep repo2 here."""
    found = [h.data.backup_stanza for h in inventory if h.data.get("backup_repo2_host") == host.backend.hostname]
    assert found, "no database server keeps its repo2 on this host"
    return found


def pgbackrest(host, *args: str) -> str:
    return host.check_output(f"cd / && runuser -u {USER} -- pgbackrest " + " ".join(args))


def test_repository_belongs_to_its_own_user(host, settings):
    repo = host.file(settings["backup_repo2_path"])
    assert (repo.user, repo.group, repo.mode) == (USER, USER, 0o750)
    conf = host.file("/etc/pgbackrest/conf.d/pgdeploy-cipher.conf")
    assert (conf.user, conf.group, conf.mode) == ("root", USER, 0o640)


def test_no_postgresql_here(host):
    assert not host.package("postgresql").is_installed
    assert host.run("ls /usr/lib/postgresql/*/bin/postgres").rc != 0


@pytest.mark.parametrize("timer", TIMERS)
def test_timer_enabled_and_waiting(host, timer):
    service = host.service(timer)
    assert service.is_enabled and service.is_running


def test_each_stanza_is_encrypted_fresh_and_checks(host, settings, stanzas):
    for stanza in stanzas:
        [info] = json.loads(pgbackrest(host, f"--stanza={stanza}", "--output=json", "info"))
        assert [(r["key"], r["status"]["code"], r["cipher"]) for r in info["repo"]] == [(2, 0, "aes-256-cbc")]
        newest = max(b["timestamp"]["stop"] for b in info["backup"])
        assert time.time() - newest < settings["backup_max_age_hours"] * 3600, f"{stanza} is stale"
        pgbackrest(host, f"--stanza={stanza}", "check")


def test_only_restricted_peer_keys_get_in(host, stanzas):
    keys = host.file(f"{HOME}/.ssh/authorized_keys")
    assert (keys.user, keys.mode) == (USER, 0o600)
    lines = [line for line in keys.content_string.splitlines() if line.strip()]
    assert len(lines) == len(stanzas) and all(line.startswith('restrict,from="') for line in lines)
