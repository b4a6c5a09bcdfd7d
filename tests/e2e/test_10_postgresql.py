"""PostgreSQL provisioned by the real pyinfra CLI, verified by the user-facing testinfra suite."""

from conftest import server_suite


def test_cold_deploy_changes_every_server(deployed, fleet):
    assert deployed.errors == 0
    changed_hosts = {h for op in deployed.results["operations"] for h in op["success"]}
    assert changed_hosts == {s.name for s in fleet.all}


def test_server_suite_passes(deployed, fleet):
    result = server_suite(fleet)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout


def test_second_run_reports_zero_changes(deployed, run_pyinfra):
    run = run_pyinfra()
    assert run.rc == 0, run.log[-2000:]
    assert (run.changed, run.errors) == (0, 0), [op["name"] for op in run.results["operations"] if op["success"]]
    assert run.results["totals"]["no_change"] > 0
