"""The versioned schema migrations in sql/: what is on disk, and what a server still needs.

Pure Python: the pyinfra fact reads what a server has applied, this module compares it with
the files and either returns the pending migrations in version order or refuses, naming the
file. A migration is `NNN_name.sql`; one whose header holds `-- pgdeploy:no-transaction`
runs outside a transaction (e.g. CREATE INDEX CONCURRENTLY) and is recorded only on success.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

FILENAME = re.compile(r"^(\d{3,})_([a-z0-9_]+)\.sql$")
NO_TRANSACTION = "-- pgdeploy:no-transaction"


class MigrationError(ValueError):
    """sql/ and a server's applied migrations disagree; the message names the file."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # the file name, e.g. "001_initial_schema.sql"
    path: Path
    sha256: str
    transactional: bool


def _header(text: str) -> list[str]:
    """The leading comment lines of a migration, where its directives live."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line.strip())
    return lines


def discover(directory: Path) -> list[Migration]:
    """Every migration file in `directory`, in version order; a stray or duplicate file is an error."""
    if not directory.is_dir():
        raise MigrationError(f"migrations directory {directory} does not exist")
    found: dict[int, Migration] = {}
    for path in sorted(directory.iterdir()):
        if path.suffix != ".sql":
            continue
        match = FILENAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: a migration is named NNN_lower_case_name.sql")
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"{path.name} and {found[version].name} have the same version {version}")
        data = path.read_bytes()
        found[version] = Migration(version, path.name, path, hashlib.sha256(data).hexdigest(),
                                   NO_TRANSACTION not in _header(data.decode()))
    return [found[v] for v in sorted(found)]


def pending(migrations: list[Migration], applied: dict[int, dict]) -> list[Migration]:
    """The migrations a server still needs, or MigrationError when its history and sql/ disagree.

    `applied` is the server's schema_migrations: {version: {"name": ..., "sha256": ...}}.
    """
    by_version = {m.version: m for m in migrations}
    for version, record in sorted(applied.items()):
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(f"{record['name']} (version {version}) is applied on the server "
                                 f"but missing from sql/")
        if migration.sha256 != record["sha256"]:
            raise MigrationError(f"{migration.name} was edited after it was applied: the server has "
                                 f"sha256 {record['sha256']}, the file has {migration.sha256}; "
                                 f"add a new migration instead")
    newest = max(applied, default=0)
    todo = [m for m in migrations if m.version not in applied]
    for migration in todo:
        if migration.version < newest:
            raise MigrationError(f"{migration.name} is numbered below {by_version[newest].name}, which is "
                                 f"already applied; renumber it above {newest}")
    return todo


# One deploy at a time per database: a second waits on this advisory lock, then finds the
# work done (every migration is re-checked under the lock before it runs).
LOCK_KEY = 0x70676465706C6F79 & 0x7FFFFFFFFFFFFFFF  # "pgdeploy"


def script(todo: list[Migration], files: dict[str, str], *, migrator: str, owner: str, lock_timeout: str,
           variables: dict[str, str]) -> str:
    """The psql script that applies `todo` under the advisory lock, as `migrator` acting as `owner`.

    `files` maps each migration's name to its uploaded path on the server. Each transactional
    migration and its record commit together; a non-transactional one is recorded after it
    succeeds. `variables` become psql variables the migrations may use (e.g. index-build memory).
    """
    lines = [
        "\\set ON_ERROR_STOP on",
        "\\set QUIET on",
        f"SELECT pg_advisory_lock({LOCK_KEY});",
        # Waiting on a busy table fails the migration instead of blocking the app behind it.
        f"SET lock_timeout = '{lock_timeout}';",
        # The migrator's own privileges (not the superuser's), creating objects the owner owns.
        f'SET SESSION AUTHORIZATION "{migrator}";',
        f'SET ROLE "{owner}";',
        "CREATE TABLE IF NOT EXISTS schema_migrations (",
        "    version integer PRIMARY KEY,",
        "    name text NOT NULL,",
        "    sha256 char(64) NOT NULL,",
        "    applied_at timestamptz NOT NULL DEFAULT now(),",
        "    duration interval NOT NULL,",
        "    applied_by text NOT NULL DEFAULT session_user",
        ");",
    ]
    lines += [f"\\set {name} '{value}'" for name, value in variables.items()]
    for m in todo:
        record = (f"INSERT INTO schema_migrations (version, name, sha256, duration) "
                  f"VALUES ({m.version}, '{m.name}', '{m.sha256}', clock_timestamp() - :'started');")
        body = [f"\\i {files[m.name]}", record]
        lines += [
            f"SELECT NOT EXISTS (SELECT FROM schema_migrations WHERE version = {m.version}) AS todo, "
            f"clock_timestamp() AS started \\gset",
            "\\if :todo",
            f"\\echo applying {m.name}",
            *(["BEGIN;", *body, "COMMIT;"] if m.transactional else body),
            "\\else",
            f"\\echo {m.name} was applied meanwhile by another deploy",
            "\\endif",
        ]
    return "\n".join(lines) + "\n"
