"""The migration plan: which files a server still needs, and every way sql/ and a server disagree."""

from pathlib import Path

import pytest

from pgcore.migrations import MigrationError, discover, pending, script

PROJECT_SQL = Path(__file__).resolve().parents[2] / "sql"


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def record(migration):
    return {"name": migration.name, "sha256": migration.sha256}


def test_project_migrations_are_ordered_and_002_runs_outside_a_transaction():
    migrations = discover(PROJECT_SQL)
    assert [m.name for m in migrations][:3] == ["001_initial_schema.sql", "002_messages_embedding_hnsw.sql",
                                                 "003_messages_session_created_at.sql"]
    assert [m.transactional for m in migrations][:3] == [True, False, True]


def test_pending_in_version_order(tmp_path):
    migrations = discover(write(tmp_path, {"010_b.sql": "SELECT 2;", "002_a.sql": "SELECT 1;"}))
    assert [m.name for m in pending(migrations, {})] == ["002_a.sql", "010_b.sql"]
    assert [m.name for m in pending(migrations, {2: record(migrations[0])})] == ["010_b.sql"]
    assert pending(migrations, {m.version: record(m) for m in migrations}) == []


def test_edited_migration_names_file_and_both_checksums(tmp_path):
    migration = discover(write(tmp_path, {"001_a.sql": "SELECT 1;"}))[0]
    with pytest.raises(MigrationError) as error:
        pending([migration], {1: {"name": "001_a.sql", "sha256": "ab" * 32}})
    assert str(error.value) == (f"001_a.sql was edited after it was applied: the server has sha256 {'ab' * 32}, "
                                f"the file has {migration.sha256}; add a new migration instead")


def test_applied_version_missing_from_sql_is_an_error(tmp_path):
    migrations = discover(write(tmp_path, {"001_a.sql": "SELECT 1;"}))
    with pytest.raises(MigrationError, match=r"^002_gone.sql \(version 2\) is applied on the server but missing"):
        pending(migrations, {1: record(migrations[0]), 2: {"name": "002_gone.sql", "sha256": "0" * 64}})


def test_new_file_below_newest_applied_is_an_error(tmp_path):
    migrations = discover(write(tmp_path, {"001_a.sql": "SELECT 1;", "002_late.sql": "SELECT 2;",
                                           "003_c.sql": "SELECT 3;"}))
    applied = {1: record(migrations[0]), 3: record(migrations[2])}
    with pytest.raises(MigrationError, match=r"^002_late.sql is numbered below 003_c.sql, which is already applied"):
        pending(migrations, applied)


@pytest.mark.parametrize("files, message", [
    ({"1_a.sql": ""}, "1_a.sql: a migration is named NNN_lower_case_name.sql"),
    ({"001-a.sql": ""}, "001-a.sql: a migration is named"),
    ({"001_a.sql": "", "001_b.sql": ""}, "001_b.sql and 001_a.sql have the same version 1"),
])
def test_bad_file_names(tmp_path, files, message):
    with pytest.raises(MigrationError, match="^" + message.replace(".", r"\.")):
        discover(write(tmp_path, files))


def test_missing_directory(tmp_path):
    with pytest.raises(MigrationError, match="does not exist"):
        discover(tmp_path / "nope")


def test_no_transaction_directive_only_counts_in_the_header(tmp_path):
    migrations = discover(write(tmp_path, {
        "001_a.sql": "-- pgdeploy:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);",
        "002_b.sql": "SELECT 1;\n-- pgdeploy:no-transaction\n"}))
    assert [m.transactional for m in migrations] == [False, True]


def test_script_wraps_transactional_ones_and_rechecks_under_the_lock(tmp_path):
    todo = discover(write(tmp_path, {"001_a.sql": "SELECT 1;", "002_b.sql": "-- pgdeploy:no-transaction\nSELECT 2;"}))
    text = script(todo, {"001_a.sql": "/w/001_a.sql", "002_b.sql": "/w/002_b.sql"}, migrator="m", owner="o",
                  lock_timeout="5s", variables={"index_memory": "1GB"})
    lines = text.splitlines()
    lock, timeout, auth, role = (lines.index(s) for s in (
        next(l for l in lines if l.startswith("SELECT pg_advisory_lock(")), "SET lock_timeout = '5s';",
        'SET SESSION AUTHORIZATION "m";', 'SET ROLE "o";'))
    assert lock < timeout < auth < role
    first = lines.index("\\i /w/001_a.sql")
    assert lines[first - 1] == "BEGIN;" and lines[first + 2] == "COMMIT;"
    assert lines[first + 1].startswith("INSERT INTO schema_migrations") and "'001_a.sql'" in lines[first + 1]
    second = lines.index("\\i /w/002_b.sql")
    assert "BEGIN;" not in lines[second - 3:second] and lines[second + 1].startswith("INSERT INTO schema_migrations")
    assert lines.count("\\if :todo") == 2
    assert "\\set index_memory '1GB'" in lines
