"""Schema migrations on a real server: applied once, a failure rolls back, an edited file is
refused, --dry lists what is pending, concurrent deploys apply each migration once."""

import threading

import pytest

from conftest import pyinfra, psql

SNAPSHOT = ("SELECT string_agg(format('%s.%s %s', table_name, column_name, data_type), ',' "
            "ORDER BY table_name, column_name) FROM information_schema.columns WHERE table_schema = 'public'")


@pytest.fixture(scope="module")
def pg2(fleet, deployed):
    """The trixie server; test-only migrations are removed again afterwards."""
    server = fleet.servers[1]
    yield server
    psql(fleet, server, "DROP TABLE IF EXISTS probe; DELETE FROM schema_migrations WHERE version >= 900;")


def test_failing_migration_rolls_back_and_is_not_recorded(fleet, pg2, run_pyinfra, inventory_with, migrations_dir):
    before = psql(fleet, pg2, SNAPSHOT).stdout
    directory = migrations_dir(**{"900_fails.sql": "CREATE TABLE probe (n int);\nSELECT 1 / 0;\n"})
    run = run_pyinfra("--limit", pg2.name, inventory=inventory_with(migrations_dir=directory))
    assert run.rc != 0
    assert "division by zero" in run.log
    assert psql(fleet, pg2, SNAPSHOT).stdout == before
    assert psql(fleet, pg2, "SELECT to_regclass('probe') IS NULL, count(*) FROM schema_migrations "
                            "WHERE version = 900").stdout.strip() == "t|0"


def test_dry_run_lists_exactly_the_pending_migrations(fleet, pg2, run_pyinfra, inventory_with, migrations_dir):
    directory = migrations_dir(**{"900_probe.sql": "CREATE TABLE probe (n int);\n"})
    run = run_pyinfra("--limit", pg2.name, "--dry", inventory=inventory_with(migrations_dir=directory))
    assert run.rc == 0, run.log[-2000:]
    changes = [op["name"] for op in run.plan if op["hosts_with_change"] == [pg2.name]]
    assert changes == ["Schema migrations | Apply migrations: 900_probe.sql"]
    assert psql(fleet, pg2, "SELECT to_regclass('probe') IS NULL").stdout.strip() == "t"


def test_edited_applied_migration_is_refused_before_any_change(fleet, pg2, run_pyinfra, inventory_with,
                                                               migrations_dir, tmp_path):
    directory = migrations_dir()
    edited = tmp_path / "sql" / "001_initial_schema.sql"
    applied = psql(fleet, pg2, "SELECT sha256 FROM schema_migrations WHERE version = 1").stdout.strip()
    edited.write_text(edited.read_text() + "-- an afterthought\n")
    run = run_pyinfra("--limit", pg2.name, inventory=inventory_with(migrations_dir=directory))
    assert run.rc != 0
    assert f"001_initial_schema.sql was edited after it was applied: the server has sha256 {applied}" in run.log
    assert "Beginning operation run" not in run.log


def test_concurrent_deploys_apply_each_migration_once(fleet, pg2, inventory_with, migrations_dir):
    directory = migrations_dir(**{
        "900_probe.sql": "CREATE TABLE probe (n int);\nINSERT INTO probe VALUES (1);\nSELECT pg_sleep(2);\n",
        "901_probe_more.sql": "INSERT INTO probe VALUES (2);\n"})
    inventory = inventory_with(migrations_dir=directory)
    runs = [None, None]

    def deploy(i):
        runs[i] = pyinfra(inventory, "deploy.py", "--limit", pg2.name, env={"SERVERS_RUN_DIR": str(fleet.run_dir)})

    threads = [threading.Thread(target=deploy, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.rc for r in runs] == [0, 0], [r.log[-1500:] for r in runs]
    assert psql(fleet, pg2, "SELECT string_agg(n::text, ',' ORDER BY n) FROM probe").stdout.strip() == "1,2"
    assert psql(fleet, pg2, "SELECT string_agg(version::text, ',') FROM schema_migrations "
                            "WHERE version >= 900").stdout.strip() == "900,901"


def test_delete_user_cascades_to_sessions_and_messages(fleet, deployed):
    pg1 = fleet.servers[0]
    out = psql(fleet, pg1, role="chat_app", sql="""
        INSERT INTO users (id, external_id, email) VALUES ('00000000-0000-0000-0000-00000000000a', 'user_cascade', 'c@x');
        INSERT INTO chat_sessions (id, user_id, title) VALUES
            ('00000000-0000-0000-0000-00000000000b', '00000000-0000-0000-0000-00000000000a', 't');
        INSERT INTO messages (session_id, sender, content) VALUES ('00000000-0000-0000-0000-00000000000b', 'user', 'hi');
        DELETE FROM users WHERE external_id = 'user_cascade';
        SELECT (SELECT count(*) FROM chat_sessions WHERE id = '00000000-0000-0000-0000-00000000000b')
             + (SELECT count(*) FROM messages WHERE session_id = '00000000-0000-0000-0000-00000000000b');
    """)
    assert (out.returncode, out.stdout.strip()) == (0, "0"), out.stderr


def test_sender_must_be_user_or_assistant(fleet, deployed):
    pg1 = fleet.servers[0]
    out = psql(fleet, pg1, role="chat_app", sql="""
        BEGIN;
        INSERT INTO users (id, external_id, email) VALUES ('00000000-0000-0000-0000-00000000001a', 'user_check', 'k@x');
        INSERT INTO chat_sessions (id, user_id, title) VALUES
            ('00000000-0000-0000-0000-00000000001b', '00000000-0000-0000-0000-00000000001a', 't');
        INSERT INTO messages (session_id, sender, content) VALUES ('00000000-0000-0000-0000-00000000001b', 'system', 'x');
    """)
    assert out.returncode != 0
    assert 'violates check constraint "messages_sender_check"' in out.stderr
