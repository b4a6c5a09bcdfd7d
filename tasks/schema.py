"""The application schema: the versioned migrations in sql/, applied once each, in order."""

from __future__ import annotations

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.api.exceptions import PyinfraError

from ops import migrations
from pgcore import tuning
from pgcore.migrations import MigrationError


@deploy("Schema migrations")
def migrate(settings: dict) -> None:
    database, port, directory = settings["app_database"], settings["postgres_port"], settings["migrations_dir"]
    # Checked while operations are collected: an edited or misnumbered file stops the deploy
    # before any host changes, and --dry lists exactly what would be applied.
    try:
        todo = migrations.pending(directory, database, port)
    except MigrationError as error:
        raise PyinfraError(f"{host.name}: {error}") from None
    inputs, _ = tuning.host_inputs(settings["resources"], settings)
    build = tuning.index_build(inputs, tuning.compute(inputs))
    migrations.applied(
        name="Apply migrations: " + (", ".join(m.name for m in todo) or "none pending"),
        directory=directory, database=database, port=port,
        migrator=settings["app_migrator_role"], owner=settings["app_owner_role"],
        lock_timeout=settings["migrations_lock_timeout"],
        variables={"index_build_memory": tuning.format_value("maintenance_work_mem", build["maintenance_work_mem"]),
                   "index_build_workers": str(build["max_parallel_maintenance_workers"])},
    )
