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
    text = render("postgresql.conf.j2", listen_addresses=["localhost", "10.0.0.5"], port=5433,
                  memory_kb=16 * 1024 * 1024, memory_source="physical RAM", cpus=8, major=15, workload="web",
                  storage="ssd", data_size=None, tuned={"shared_buffers": "4GB", "jit": "off"},
                  overrides={"work_mem": "'64MB'"})
    settings = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert settings == ["listen_addresses = 'localhost,10.0.0.5'", "port = 5433", "shared_buffers = 4GB",
                        "jit = off", "work_mem = '64MB'"]
    assert "#   memory    16384 MiB (physical RAM)" in text
    assert "# Overrides from inventory (postgres_settings): work_mem" in text
