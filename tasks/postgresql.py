"""PostgreSQL itself: packages, the cluster, its base configuration and its service."""

from __future__ import annotations

from pathlib import Path

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.facts.server import LinuxDistribution
from pyinfra.operations import apt, files, systemd

from ops import postgresql

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
PGDG_KEYRING = "/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc"  # shipped by postgresql-common


@deploy("Install PostgreSQL")
def install(settings: dict) -> None:
    version = settings["postgres_major"]
    files.template(
        name="Keep package installs from creating a default cluster",
        src=str(TEMPLATES / "createcluster.conf.j2"),
        dest="/etc/postgresql-common/createcluster.d/00-pgdeploy.conf",
    )
    if settings["postgres_apt_source"] == "pgdg":
        apt.packages(name="Install postgresql-common (PGDG key)", packages=["postgresql-common"],
                     update=True, cache_time=3600)
        source = files.template(
            name="Add the PGDG apt repository",
            src=str(TEMPLATES / "pgdg.sources.j2"),
            dest="/etc/apt/sources.list.d/pgdg.sources",
            url=settings["postgres_pgdg_url"],
            codename=host.get_fact(LinuxDistribution)["release_meta"]["VERSION_CODENAME"],
            keyring=PGDG_KEYRING,
        )
        apt.update(name="Update apt after adding PGDG", _if=source.did_change)
    apt.packages(
        name="Install the PostgreSQL server packages",
        packages=[f"postgresql-{version}", f"postgresql-client-{version}", "procps"],
        update=True, cache_time=3600, no_recommends=True,
    )


@deploy("Create and run the cluster")
def cluster(settings: dict) -> None:
    version, name = settings["postgres_major"], settings["postgres_cluster"]
    postgresql.cluster(
        name="Create the cluster",
        version=version, cluster_name=name, port=settings["postgres_port"],
        locale=settings["postgres_locale"], encoding=settings["postgres_encoding"],
        data_checksums=settings["postgres_data_checksums"],
    )
    conf = files.template(
        name="Render the project's postgresql.conf settings",
        src=str(TEMPLATES / "postgresql.conf.j2"),
        dest=f"/etc/postgresql/{version}/{name}/conf.d/50-pgdeploy.conf",
        user="postgres", group="postgres", mode="644",
        listen_addresses=settings["postgres_listen_addresses"], port=settings["postgres_port"],
    )
    systemd.service(
        name="Enable and start the cluster's service",
        service=f"postgresql@{version}-{name}",
        running=True, enabled=True,
    )
    systemd.service(
        name="Restart the cluster for changed settings",
        service=f"postgresql@{version}-{name}", restarted=True, _if=conf.did_change,
    )
