"""Inventory validation: every bad input gets one line that names the setting."""

import runpy
from pathlib import Path

import pytest

from pgcore import settings as schema
from tests.certs import make_pair

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture
def defaults() -> dict:
    data = runpy.run_path(str(PROJECT / "group_data/all.py"))
    return {k: v for k, v in data.items() if not k.startswith("__")}


def test_group_data_documents_exactly_the_schema(defaults):
    assert set(defaults) == set(schema.SCHEMA)


def test_defaults_are_valid(defaults):
    assert schema.problems(defaults) == []


def test_unknown_key_names_the_closest_valid_one(defaults):
    [line] = schema.problems({**defaults, "postgres_prot": 5433})
    assert line == "unknown setting 'postgres_prot' (did you mean 'postgres_port'?)"


def test_unknown_key_without_a_close_match(defaults):
    assert schema.problems({**defaults, "zzz": 1}) == ["unknown setting 'zzz'"]


def test_connector_and_pyinfra_keys_are_not_ours(defaults):
    assert schema.problems({**defaults, "ssh_hostname": "x", "_sudo": True, "local_x": 1}) == []


@pytest.mark.parametrize("key, value, reason", [
    ("postgres_port", "5432", "postgres_port must be an integer, got str '5432'"),
    ("postgres_port", True, "postgres_port must be an integer, got bool True"),
    ("postgres_port", 0, "postgres_port must be between 1 and 65535, got 0"),
    ("postgres_port", 70000, "postgres_port must be between 1 and 65535, got 70000"),
    ("postgres_major", 11, "postgres_major must be one of 13, 14, 15, 16, 17, 18, got 11"),
    ("postgres_major", "15", "postgres_major must be an integer, got str '15'"),
    ("postgres_apt_source", "ppa", "postgres_apt_source must be one of 'debian', 'pgdg', got 'ppa'"),
    ("postgres_listen_addresses", "localhost", "postgres_listen_addresses must be a non-empty list of addresses, got 'localhost'"),
    ("postgres_listen_addresses", ["10.0.0.300"], "postgres_listen_addresses '10.0.0.300' is not an IP address, '*' or 'localhost'"),
    ("postgres_data_checksums", "yes", "postgres_data_checksums must be true or false, got str 'yes'"),
    ("postgres_cluster", "Main Cluster", "postgres_cluster must be a cluster name, got 'Main Cluster'"),
    ("postgres_pgdg_url", "ftp://x", "postgres_pgdg_url must be an http(s) URL, got 'ftp://x'"),
])
def test_bad_values_get_one_line(defaults, key, value, reason):
    assert schema.problems({**defaults, key: value}) == [reason]


def test_missing_setting(defaults):
    del defaults["postgres_port"]
    assert schema.problems(defaults) == ["missing setting 'postgres_port' (is group_data/all.py loaded?)"]


def test_validate_raises_with_host_prefix(defaults):
    with pytest.raises(schema.SettingsError, match=r"^db1: unknown setting 'x'$"):
        schema.validate({**defaults, "x": 1}, host="db1")


@pytest.mark.parametrize("source, major, release, expected", [
    ("debian", None, "12.15", 15),
    ("debian", None, "13.8", 17),
    ("debian", 15, "12", 15),
    ("pgdg", 16, "12", 16),
    ("pgdg", None, "12", 18),
])
def test_major_resolution(defaults, source, major, release, expected):
    data = {**defaults, "postgres_apt_source": source, "postgres_major": major}
    assert schema.resolve(data, release)["postgres_major"] == expected


@pytest.mark.parametrize("major, release, message", [
    (16, "12", "postgres_major = 16, but Debian 12 ships 15; set postgres_apt_source = 'pgdg' for other majors"),
    (None, "11.9", "Debian 11.9 is not supported with postgres_apt_source = 'debian'; use one of Debian 12, 13 or 'pgdg'"),
])
def test_major_the_distribution_cannot_provide(defaults, major, release, message):
    with pytest.raises(schema.SettingsError) as error:
        schema.resolve({**defaults, "postgres_major": major}, release)
    assert str(error.value) == message


@pytest.mark.parametrize("key, value, reason", [
    ("pgvector_version", "v0.8", "pgvector_version must be a version like 0.8.0, got 'v0.8'"),
    ("pgvector_sha256", "A" * 64, f"pgvector_sha256 must be 64 lower-case hex digits, got {'A' * 64!r}"),
    ("pgvector_source", None, "pgvector_source is missing: give a URL or a file on the control machine"),
    ("pgvector_source", "ftp://x/y.tgz", "pgvector_source must be an http(s) URL or a file, got 'ftp://x/y.tgz'"),
    ("pgvector_source", "/no/such/file-{version}.tgz",
     "pgvector_source file '/no/such/file-0.8.0.tgz' does not exist on the control machine"),
    ("pgvector_source", "https://x/{tag}.tgz",
     "pgvector_source 'https://x/{tag}.tgz' has a bad placeholder ('tag'); only {version} exists"),
    ("http_proxy", "proxy:3128", "http_proxy must be an http(s) URL, got 'proxy:3128'"),
    ("app_database", "Chat-DB", "app_database must be a lower-case SQL identifier, got 'Chat-DB'"),
])
def test_pgvector_and_database_settings(defaults, key, value, reason):
    assert schema.problems({**defaults, key: value}) == [reason]


def test_pgvector_source_gets_its_version(defaults, tmp_path):
    local = tmp_path / "pgvector-0.8.0.tar.gz"
    local.write_bytes(b"x")
    data = {**defaults, "pgvector_source": str(tmp_path / "pgvector-{version}.tar.gz")}
    assert schema.resolve(data, "12")["pgvector_source"] == str(local)
    assert schema.resolve(defaults, "12")["pgvector_source"].endswith("/v0.8.0.tar.gz")


@pytest.mark.parametrize("key, value, reason", [
    ("app_clients", {"app": ["10.0.0.5/24"]}, "app_clients ['app'] '10.0.0.5/24' is not a CIDR (10.0.0.5/24 has host bits set)"),
    ("app_clients", {"app": ["10.0.0.5"]}, "app_clients ['app'] '10.0.0.5' is not a CIDR: give the prefix length, e.g. 10.0.0.5/32"),
    ("app_clients", {"app": "10.0.0.0/8"}, "app_clients ['app'] must be a list of CIDRs, got '10.0.0.0/8'"),
    ("app_clients", {"owner": []}, "app_clients has unknown role kind 'owner' (valid: migrator, app, readonly)"),
    ("app_role_limits", {"app": {"connection_limit": -2}}, "app_role_limits ['app'] connection_limit must be between -1 and 262143, got -2"),
    ("app_role_limits", {"app": {"statement_timeout": "soon"}}, "app_role_limits ['app'] statement_timeout must be a duration like 30s, got 'soon'"),
    ("app_role_limits", {"app": {"timeout": "1s"}}, "app_role_limits ['app'] has unknown key 'timeout' (valid: connection_limit, statement_timeout)"),
    ("password_secrets", {"app": "X"}, "password_secrets is missing role kind 'migrator'"),
    ("app_role", "Chat-App", "app_role must be a lower-case SQL identifier, got 'Chat-App'"),
    ("migrations_lock_timeout", "forever", "migrations_lock_timeout must be a duration like 10s, got 'forever'"),
])
def test_role_and_access_data(defaults, key, value, reason):
    assert reason in schema.problems({**defaults, key: value})


def test_roles_must_differ(defaults):
    [line] = schema.problems({**defaults, "app_role": "chat_readonly"})
    assert line.startswith("the roles ") and line.endswith(" must differ")


def test_missing_migrations_dir(defaults):
    assert schema.problems({**defaults, "migrations_dir": "/nonexistent"}) == [
        "migrations_dir '/nonexistent' is not a directory on the control machine"]


def test_passwords_name_each_missing_variable(defaults, monkeypatch):
    for variable in [*defaults["password_secrets"].values(), defaults["backup_cipher_secret"]]:
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(schema.SettingsError) as error:
        schema.passwords(defaults)
    assert str(error.value).splitlines() == [
        f"{kind} role password: missing secret: set environment variable {variable}"
        for kind, variable in defaults["password_secrets"].items()] + [
        f"backup cipher pass: missing secret: set environment variable {defaults['backup_cipher_secret']}"]


def test_tls_pair_that_matches(defaults, tmp_path):
    cert, key = make_pair(tmp_path, "a")
    assert schema.problems({**defaults, "postgres_tls_cert": cert, "postgres_tls_key": key}) == []


def test_tls_key_of_another_certificate_is_refused(defaults, tmp_path):
    cert, _ = make_pair(tmp_path, "a")
    _, other_key = make_pair(tmp_path, "b")
    assert schema.problems({**defaults, "postgres_tls_cert": cert, "postgres_tls_key": other_key}) == [
        f"postgres_tls_key {other_key!r} does not belong to postgres_tls_cert {cert!r}"]


def _link_hosts(defaults, **overrides):
    hosts = {"db1": {"groups": ["db"], "data": {**defaults, "backup_repo2_host": "bk1"}, "debian": "12"},
             "db2": {"groups": ["db"], "data": {**defaults, "backup_stanza": "other", "backup_repo2_host": "bk1"},
                     "debian": "12"},
             "bk1": {"groups": ["backup"], "data": dict(defaults), "debian": "12"}}
    for name, change in overrides.items():
        hosts[name] = {**hosts[name], **change}
    return hosts


def test_backup_links_that_work(defaults):
    assert schema.backup_link_problems(_link_hosts(defaults)) == []


@pytest.mark.parametrize("overrides, reason", [
    ({"db1": {"data_repo": "nowhere"}}, "db1: backup_repo2_host 'nowhere' is not a host of the inventory's 'backup' group"),
    ({"db1": {"data_repo": "db2"}}, "db1: backup_repo2_host 'db2' is not a host of the inventory's 'backup' group"),
    ({"db2": {"debian": "13"}}, "db2: runs Debian 13 but its repository host bk1 runs Debian 12; pgBackRest's "
                                "versions must match exactly"),
    ({"db2": {"stanza": "main"}}, "db2: bk1 already keeps stanza 'main' for db1; give each database server its "
                                  "own backup_stanza"),
    ({"bk1": {"data_repo": "bk1"}}, "bk1: backup_repo2_host is for database servers; bk1 is in the 'backup' group"),
    ({"db1": {"path": "/var/lib/pgbackrest-repo2"}}, "db1: backup_repo_path and bk1's backup_repo2_path are both "
     "'/var/lib/pgbackrest-repo2'; pgBackRest needs repo1 and repo2 on different paths"),
])
def test_backup_link_problems(defaults, overrides, reason):
    changes = {}
    for name, change in overrides.items():
        change = dict(change)
        data = dict(_link_hosts(defaults)[name]["data"])
        if "data_repo" in change:
            data["backup_repo2_host"] = change.pop("data_repo")
        if "path" in change:
            data["backup_repo_path"] = change.pop("path")
        if "stanza" in change:
            data["backup_stanza"] = change.pop("stanza")
        changes[name] = {**change, "data": data}
    assert schema.backup_link_problems(_link_hosts(defaults, **changes)) == [reason]


def test_a_repository_host_needs_only_the_cipher_pass(defaults, monkeypatch):
    monkeypatch.setenv("PGDEPLOY_BACKUP_CIPHER_PASS", "x" * 32)
    for variable in defaults["password_secrets"].values():
        monkeypatch.delenv(variable, raising=False)
    data = {**defaults, "secrets_file": None}
    assert list(schema.passwords(data, repository_host=True)) == ["backup_cipher"]
    with pytest.raises(schema.SettingsError, match="migrator role password"):
        schema.passwords(data)
