"""PostgreSQL itself: packages, the cluster, its base configuration and its service."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.api.exceptions import PyinfraError
from pyinfra.facts.server import LinuxDistribution
from pyinfra.operations import apt, files, systemd

from ops import postgresql
from pgcore import pgconf, tuning
from pgcore.templates import render

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


@deploy("Create, tune and run the cluster")
def cluster(settings: dict) -> None:
    version, name = settings["postgres_major"], settings["postgres_cluster"]
    postgresql.cluster(
        name="Create the cluster",
        version=version, cluster_name=name, port=settings["postgres_port"],
        locale=settings["postgres_locale"], encoding=settings["postgres_encoding"],
        data_checksums=settings["postgres_data_checksums"],
    )
    content = render_conf(settings)
    staged = f"/etc/postgresql/{version}/{name}/pgdeploy.conf.staged"
    files.put(
        name="Stage postgresql.conf settings (memory and parallelism from this host)",
        src=io.StringIO(content), dest=staged, user="postgres", group="postgres", mode="644",
    )
    postgresql.conf_applied(
        name="Validate and apply the settings (reload, or restart only when needed)",
        version=version, cluster_name=name, staged=staged,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
    )
    systemd.service(
        name="Enable and start the cluster's service",
        service=f"postgresql@{version}-{name}",
        running=True, enabled=True,
    )


def tuning_inputs(settings: dict) -> tuple[tuning.Host, str]:
    """The calculator's inputs from this host's facts, and where its memory figure came from."""
    resources = host.get_fact(postgresql.HostResources)
    memory_kb, source = tuning.effective_memory_kb(resources["memory_kb"], resources["cgroup_limit_kb"])
    return tuning.Host(memory_kb=memory_kb, cpus=resources["cpus"], major=settings["postgres_major"],
                       workload=settings["postgres_workload"], storage=settings["postgres_storage"],
                       max_connections=settings["postgres_max_connections"],
                       data_size=settings["postgres_data_size"]), source


def render_conf(settings: dict) -> str:
    """The managed conf.d file for this host: listen/port, computed settings, then overrides."""
    overrides = settings["postgres_settings"]
    catalog = host.get_fact(postgresql.PostgresCatalog, major=settings["postgres_major"])
    if catalog is not None and (found := pgconf.catalog_problems(overrides, catalog)):
        raise PyinfraError(f"{host.name}: " + f"\n{host.name}: ".join(found))
    inputs, source = tuning_inputs(settings)
    computed = tuning.compute(inputs)
    return render(
        "postgresql.conf.j2",
        listen_addresses=settings["postgres_listen_addresses"], port=settings["postgres_port"],
        memory_kb=inputs.memory_kb, memory_source=source, cpus=inputs.cpus, major=inputs.major,
        workload=inputs.workload, storage=inputs.storage, data_size=inputs.data_size,
        tuned={k: tuning.format_value(k, v) for k, v in computed.items() if k not in overrides},
        overrides={k: pgconf.conf_value(v) for k, v in overrides.items()},
    )
