"""Versioned schema migrations: a fact and an operation, shaped like pyinfra's own.

pyinfra's postgres.sql and postgres.load re-run SQL on every deploy; this applies each file of
sql/ once, in order, and records it. The planning is pure Python (pgcore.migrations).
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

from pyinfra import host
from pyinfra.api import FactBase, FileUploadCommand, OperationError, StringCommand, operation

from ops.postgresql import psql
from pgcore import migrations as plan


class SchemaMigrations(FactBase):
    """
    The migrations applied to a database (its schema_migrations table); empty before the first.

    .. code:: python

        {1: {"name": "001_initial_schema.sql", "sha256": "3f0c…", "applied_at": "2026-12-03 21:40:01+00",
             "duration": "00:00:00.012", "applied_by": "chat_migrator"}}
    """

    default = dict

    def command(self, database: str, port: int = 5432) -> str:
        query = ("SELECT version, name, sha256, applied_at, duration, applied_by "
                 "FROM schema_migrations ORDER BY version")
        # No database or no table yet: nothing applied. Any other error fails the fact.
        exists = "SELECT to_regclass('public.schema_migrations')"
        return (f"if {psql(port, database)} -c \"{exists}\" 2>/dev/null | grep -q .; then "
                f"{psql(port, database)} -F '|' -c '{query}'; fi")

    def process(self, output):
        applied = {}
        for line in output:
            version, name, sha256, applied_at, duration, applied_by = line.split("|")
            applied[int(version)] = {"name": name, "sha256": sha256, "applied_at": applied_at,
                                     "duration": duration, "applied_by": applied_by}
        return applied


def pending(directory: str, database: str, port: int = 5432) -> list[plan.Migration]:
    """The migrations of `directory` the database still needs; raises MigrationError on a conflict."""
    return plan.pending(plan.discover(Path(directory)), host.get_fact(SchemaMigrations, database=database, port=port))


@operation()
def applied(directory: str, database: str, migrator: str, owner: str, port: int = 5432,
            lock_timeout: str = "10s", variables: dict | None = None):
    """
    Apply the pending migrations of a local directory to a database, once each, in version order.

    Each runs as ``migrator`` (``SET ROLE owner``, so the owner owns what it creates) with
    ON_ERROR_STOP, and commits together with its schema_migrations record; a file headed
    ``-- pgdeploy:no-transaction`` runs alone and is recorded only on success. The whole run
    holds an advisory lock, so concurrent deploys apply each migration once. An applied file
    that was edited, an applied version missing locally, or a new file numbered below the
    newest applied one stops the operation before anything runs.

    + directory: the migrations on the control machine (``NNN_name.sql``)
    + database: the database to migrate
    + migrator, owner: the role that runs them, and the role it acts as (it must be a member)
    + port: the cluster's port
    + lock_timeout: how long a statement may wait for a lock before the migration fails
    + variables: psql variables the migrations can read, e.g. ``{"index_memory": "1GB"}``

    **Example:**

    .. code:: python

        migrations.applied(name="Apply migrations", directory="sql", database="chat",
                           migrator="chat_migrator", owner="chat_owner")
    """
    try:
        todo = pending(directory, database, port)
    except plan.MigrationError as error:
        raise OperationError(str(error)) from None
    if not todo:
        host.noop(f"{database} has every migration of {directory}")
        return
    # A directory per run: concurrent deploys never share (or remove) each other's files.
    work = f"/var/tmp/pgdeploy-migrations-{uuid.uuid4().hex[:12]}"
    yield StringCommand(f"mkdir -m 755 {work}")
    files = {}
    for migration in todo:
        files[migration.name] = f"{work}/{migration.name}"
        yield FileUploadCommand(str(migration.path), files[migration.name])
    text = plan.script(todo, files, migrator=migrator, owner=owner, lock_timeout=lock_timeout,
                       variables=variables or {})
    yield FileUploadCommand(io.BytesIO(text.encode()), f"{work}/run.sql")
    yield StringCommand(f"chmod 644 {work}/*; {psql(port, database)} -f {work}/run.sql; rc=$?; "
                        f"rm -rf {work}; exit $rc")
