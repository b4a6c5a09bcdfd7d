"""pgvector: built from pinned, checksummed source, then created in the application database."""

from __future__ import annotations

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.operations import apt

from ops import pgvector, postgresql


@deploy("Build pgvector")
def build(settings: dict) -> None:
    major, version = settings["postgres_major"], settings["pgvector_version"]
    wanted = {"version": version, "sha256": settings["pgvector_sha256"]}
    # Build tools only when a build is due: a server that has this build never gets them.
    if host.get_fact(pgvector.PgvectorBuild, major=major) != wanted:
        apt.packages(
            name="Install the build dependencies",
            packages=["build-essential", f"postgresql-server-dev-{major}", "curl"],
            update=True, cache_time=3600, no_recommends=True,
        )
    pgvector.installed(
        name=f"Build and install pgvector {version}",
        major=major, version=version, sha256=settings["pgvector_sha256"],
        source=settings["pgvector_source"], port=settings["postgres_port"],
        http_proxy=settings["http_proxy"],
    )


@deploy("Enable pgvector")
def enable(settings: dict) -> None:
    # pgvector is not a trusted extension: only a superuser can create it, so the deploy does
    # it before the migrations (run by a non-superuser) need it.
    postgresql.extension(
        name="Create the vector extension in the application database",
        database=settings["app_database"], extension_name="vector", port=settings["postgres_port"],
    )
