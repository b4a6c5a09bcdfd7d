"""What the templates render: the PGDG source cannot be fetched from here, so its text is checked."""

from pgcore.templates import render


def test_pgdg_source_is_deb822_with_signed_by():
    text = render("pgdg.sources.j2", url="https://apt.postgresql.org/pub/repos/apt", codename="bookworm",
                  keyring="/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc")
    stanza = dict(line.split(": ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert stanza == {
        "Types": "deb",
        "URIs": "https://apt.postgresql.org/pub/repos/apt",
        "Suites": "bookworm-pgdg",
        "Components": "main",
        "Signed-By": "/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc",
    }


def test_createcluster_snippet_disables_the_default_cluster():
    lines = [l for l in render("createcluster.conf.j2").splitlines() if l and not l.startswith("#")]
    assert lines == ["create_main_cluster = false"]


def test_postgresql_conf():
    text = render("postgresql.conf.j2", listen_addresses=["localhost", "10.0.0.5"], port=5433, tls_dir="/etc/t",
                  memory_kb=16 * 1024 * 1024, memory_source="physical RAM", cpus=8, major=15, workload="web",
                  storage="ssd", data_size=None, tuned={"shared_buffers": "4GB", "jit": "off"},
                  overrides={"work_mem": "'64MB'"})
    settings = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert settings == ["listen_addresses = 'localhost,10.0.0.5'", "port = 5433", "ssl = on",
                        "ssl_cert_file = '/etc/t/server.crt'", "ssl_key_file = '/etc/t/server.key'",
                        "ssl_min_protocol_version = 'TLSv1.2'", "password_encryption = 'scram-sha-256'",
                        "shared_buffers = 4GB",
                        "jit = off", "work_mem = '64MB'"]
    assert "#   memory    16384 MiB (physical RAM)" in text
    assert "# Overrides from inventory (postgres_settings): work_mem" in text


def test_pg_hba_is_tls_and_scram_only():
    clients = [{"role": "chat_app", "cidr": "10.0.0.0/24"}, {"role": "chat_readonly", "cidr": "192.0.2.7/32"}]
    rules = [line.split() for line in render("pg_hba.conf.j2", database="chat", clients=clients).splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules == [["local", "all", "postgres", "peer"],
                     ["hostssl", "chat", "chat_app", "10.0.0.0/24", "scram-sha-256"],
                     ["hostssl", "chat", "chat_readonly", "192.0.2.7/32", "scram-sha-256"]]


def test_pg_hba_without_clients_is_local_superuser_only():
    text = render("pg_hba.conf.j2", database="chat", clients=[])
    assert [line for line in text.splitlines() if line.strip() and not line.startswith("#")] == [
        "local    all       postgres       peer"]


def _pgbackrest_conf(**values) -> dict[str, dict[str, str]]:
    sections, current = {}, None
    for line in render("pgbackrest.conf.j2", run_as="postgres", process_max=2, **values).splitlines():
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        elif line and not line.startswith("#"):
            key, value = line.split("=", 1)
            assert key not in current, f"{key} twice"
            current[key] = value
    return sections


def test_pgbackrest_conf_of_a_database_server_with_a_repository_host():
    conf = _pgbackrest_conf(
        repos=[{"index": 1, "path": "/var/lib/pgbackrest", "retention_full": 2},
               {"index": 2, "host": "10.0.0.9", "host_user": "pgbackrest", "path": "/srv/repo"}],
        stanzas=[{"name": "main", "data_directory": "/var/lib/postgresql/15/main", "port": 5432}],
        spool_path="/var/spool/pgbackrest")
    assert conf["global"] == {
        "repo1-path": "/var/lib/pgbackrest", "repo1-retention-full": "2", "repo1-retention-full-type": "count",
        "repo1-cipher-type": "aes-256-cbc", "repo2-host": "10.0.0.9", "repo2-host-user": "pgbackrest",
        "repo2-path": "/srv/repo", "repo2-cipher-type": "aes-256-cbc", "compress-type": "zst", "process-max": "2",
        "start-fast": "y", "archive-async": "y", "spool-path": "/var/spool/pgbackrest", "log-level-console": "warn",
        "log-level-file": "info"}
    assert conf["main"] == {"pg1-path": "/var/lib/postgresql/15/main", "pg1-port": "5432"}


def test_pgbackrest_conf_of_a_repository_host():
    conf = _pgbackrest_conf(
        repos=[{"index": 2, "path": "/var/lib/pgbackrest", "retention_full": 4}],
        stanzas=[{"name": "main", "host": "10.0.0.5", "data_directory": "/d1", "port": 5432},
                 {"name": "other", "host": "10.0.0.6", "data_directory": "/d2", "port": 5433}],
        spool_path=None)
    assert "archive-async" not in conf["global"] and conf["global"]["repo2-retention-full"] == "4"
    assert conf["other"] == {"pg1-host": "10.0.0.6", "pg1-host-user": "postgres", "pg1-path": "/d2", "pg1-port": "5433"}
