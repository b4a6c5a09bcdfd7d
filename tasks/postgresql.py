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

from ops import postgresql, tls
from pgcore import pgconf, tuning
from pgcore import settings as schema
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
    conf_dir = f"/etc/postgresql/{version}/{name}"
    tls_dir = f"{conf_dir}/tls"
    files.directory(name="TLS directory (postgres only)", path=tls_dir, user="postgres", group="postgres",
                    mode="700")
    if settings["postgres_tls_cert"]:
        changes = [files.put(name=f"Upload the TLS {target}", src=source, dest=f"{tls_dir}/{target}",
                             user="postgres", group="postgres", mode=mode)
                   for source, target, mode in ((settings["postgres_tls_cert"], "server.crt", "644"),
                                                (settings["postgres_tls_key"], "server.key", "600"))]
    else:
        changes = [tls.self_signed(name="Self-signed TLS certificate (none supplied)", cert=f"{tls_dir}/server.crt",
                                   key=f"{tls_dir}/server.key", common_name=host.name)]
    changes.append(files.template(
        name="pg_hba.conf: TLS and SCRAM only, from the listed networks",
        src=str(TEMPLATES / "pg_hba.conf.j2"), dest=f"{conf_dir}/pg_hba.conf",
        user="postgres", group="postgres", mode="640",
        database=settings["app_database"], clients=hba_clients(settings),
    ))
    apply_conf(settings, "50-pgdeploy.conf", render_conf(settings, tls_dir),
               "postgresql.conf settings (memory and parallelism from this host)")
    systemd.service(
        name="Enable and start the cluster's service",
        service=f"postgresql@{version}-{name}",
        running=True, enabled=True,
    )
    # PostgreSQL reads pg_hba.conf and the certificate again on a reload.
    systemd.service(
        name="Reload for a new pg_hba.conf or certificate", service=f"postgresql@{version}-{name}",
        reloaded=True, _if=lambda: any(change.did_change() for change in changes),
    )


def apply_conf(settings: dict, file: str, content: str, what: str) -> None:
    """Stage a conf.d file of the cluster, then validate it and put it in effect."""
    version, name = settings["postgres_major"], settings["postgres_cluster"]
    staged = f"/etc/postgresql/{version}/{name}/{file}.staged"
    files.put(name=f"Stage {what}", src=io.StringIO(content), dest=staged, user="postgres", group="postgres",
              mode="644")
    postgresql.conf_applied(
        name=f"Validate and apply {what} (reload, or restart only when needed)",
        version=version, cluster_name=name, staged=staged, file=file,
        sha256=hashlib.sha256(content.encode()).hexdigest(),
    )


def hba_clients(settings: dict) -> list[dict]:
    """One pg_hba line's worth per LOGIN role and CIDR of app_clients."""
    return [{"role": settings[schema.ROLE_SETTINGS[kind]], "cidr": cidr}
            for kind, cidrs in sorted(settings["app_clients"].items()) for cidr in cidrs]


def render_conf(settings: dict, tls_dir: str) -> str:
    """The managed conf.d file for this host: listen/port, computed settings, then overrides."""
    overrides = settings["postgres_settings"]
    catalog = host.get_fact(postgresql.PostgresCatalog, major=settings["postgres_major"])
    if catalog is not None and (found := pgconf.catalog_problems(overrides, catalog)):
        raise PyinfraError(f"{host.name}: " + f"\n{host.name}: ".join(found))
    inputs, source = tuning.host_inputs(settings["resources"], settings)
    computed = tuning.compute(inputs)
    return render(
        "postgresql.conf.j2",
        listen_addresses=settings["postgres_listen_addresses"], port=settings["postgres_port"], tls_dir=tls_dir,
        memory_kb=inputs.memory_kb, memory_source=source, cpus=inputs.cpus, major=inputs.major,
        workload=inputs.workload, storage=inputs.storage, data_size=inputs.data_size,
        tuned={k: tuning.format_value(k, v) for k, v in computed.items() if k not in overrides},
        overrides={k: pgconf.conf_value(v) for k, v in overrides.items()},
    )
