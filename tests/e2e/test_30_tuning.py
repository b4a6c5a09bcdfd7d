"""Applying postgresql.conf changes: reload when enough, restart only when needed, never a
server that cannot start."""

import pytest

CONF = "/etc/postgresql/15/main/conf.d/50-pgdeploy.conf"


@pytest.fixture(scope="module")
def pg1(fleet, deployed, run_pyinfra):
    yield fleet.servers[0]
    # Leave the server as the default inventory wants it, for the modules after this one.
    run = run_pyinfra("--limit", fleet.servers[0].name)
    assert run.rc == 0, run.log[-2000:]


def times(fleet, server):
    out = fleet.ssh(server, "runuser -u postgres -- psql -XAt -c 'SELECT pg_postmaster_start_time(), "
                            "pg_conf_load_time()'")
    started, loaded = out.stdout.strip().split("|")
    return started, loaded


def show(fleet, server, name):
    return fleet.ssh(server, f"runuser -u postgres -- psql -XAt -c 'SHOW {name}'").stdout.strip()


def test_no_change_neither_reloads_nor_restarts(fleet, pg1, run_pyinfra):
    before = times(fleet, pg1)
    run = run_pyinfra("--limit", pg1.name)
    assert (run.rc, run.changed) == (0, 0), run.log[-2000:]
    assert times(fleet, pg1) == before


def test_user_context_change_reloads(fleet, pg1, run_pyinfra, inventory_with):
    started, loaded = times(fleet, pg1)
    run = run_pyinfra("--limit", pg1.name, inventory=inventory_with(postgres_settings={"work_mem": "64MB"}))
    assert run.rc == 0, run.log[-2000:]
    assert show(fleet, pg1, "work_mem") == "64MB"
    now_started, now_loaded = times(fleet, pg1)
    assert now_started == started, "restarted for a setting a reload applies"
    assert now_loaded != loaded, "not reloaded"


def test_postmaster_context_change_restarts(fleet, pg1, run_pyinfra, inventory_with):
    started, _ = times(fleet, pg1)
    run = run_pyinfra("--limit", pg1.name, inventory=inventory_with(postgres_max_connections=150))
    assert run.rc == 0, run.log[-2000:]
    assert show(fleet, pg1, "max_connections") == "150"
    assert times(fleet, pg1)[0] != started, "max_connections needs a restart"
    pending = fleet.ssh(pg1, "runuser -u postgres -- psql -XAt -c 'SELECT count(*) FROM pg_settings WHERE pending_restart'")
    assert pending.stdout.strip() == "0"


def test_value_the_server_rejects_restores_the_previous_file(fleet, pg1, run_pyinfra, inventory_with):
    before_file = fleet.ssh(pg1, f"sha256sum {CONF}").stdout
    before = times(fleet, pg1)
    run = run_pyinfra("--limit", pg1.name, inventory=inventory_with(postgres_settings={"huge_pages": "sometimes"}))
    assert run.rc != 0
    assert "PostgreSQL rejected the new settings; the previous file is back in place" in run.log
    assert 'invalid value for parameter "huge_pages": "sometimes"' in run.log
    assert fleet.ssh(pg1, f"sha256sum {CONF}").stdout == before_file
    assert times(fleet, pg1) == before
    assert fleet.ssh(pg1, "systemctl is-active postgresql@15-main").stdout.strip() == "active"


@pytest.mark.parametrize("overrides, reason", [
    ({"shared_bufers": "1GB"}, "postgres_settings has unknown setting 'shared_bufers' (did you mean 'shared_buffers'?)"),
    ({"work_mem": "4GiB"}, "postgres_settings has work_mem = '4GiB': unknown unit 'GiB'"),
    ({"work_mem": "-1MB"}, "postgres_settings has work_mem = '-1MB': must not be negative"),
])
def test_bad_overrides_stop_before_any_change(fleet, pg1, run_pyinfra, inventory_with, overrides, reason):
    before_file = fleet.ssh(pg1, f"sha256sum {CONF}").stdout
    run = run_pyinfra("--limit", pg1.name, inventory=inventory_with(postgres_settings=overrides))
    assert run.rc != 0
    assert reason in run.log
    assert "Beginning operation run" not in run.log
    assert fleet.ssh(pg1, f"sha256sum {CONF}").stdout == before_file
