"""What the templates render: the PGDG source cannot be fetched from here, so its text is checked."""

from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def render(name: str, **values) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    return env.get_template(name).render(**values)


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


def test_postgresql_conf_listen_and_port():
    text = render("postgresql.conf.j2", listen_addresses=["localhost", "10.0.0.5"], port=5433)
    assert "listen_addresses = 'localhost,10.0.0.5'\n" in text
    assert "port = 5433\n" in text
