"""End-to-end fixtures: real disposable servers, the real pyinfra CLI over SSH.

One session boots one bookworm and one trixie database server, and a bookworm pgBackRest
repository host that keeps the bookworm server's repo2; test modules run in file-name order,
so the ones that need a never-deployed server (test_0*) run before the first deploy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from servers import network
from servers.fleet import Fleet
from servers.paths import BRIDGE
from servers.process import is_ours

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SUITES = ["bookworm", "trixie"]
BACKUP_SUITES = ["bookworm"]  # repo2 of pg1 (pgBackRest's versions must match: same Debian)


@dataclass
class Run:
    """One pyinfra CLI run: its exit code, its --json results (a --dry run has only a plan)
    and its log (stderr)."""
    rc: int
    results: dict
    log: str
    plan: list

    @property
    def changed(self) -> int:
        return self.results["totals"]["success"]

    @property
    def errors(self) -> int:
        return self.results["totals"]["error"]


@pytest.fixture(scope="session")
def fleet(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.fail("the end-to-end suite boots containers and must run as root")
    fleet = Fleet(tmp_path_factory.mktemp("servers"))
    fleet.up(SUITES, BACKUP_SUITES)
    servers = list(fleet.all)
    yield fleet
    fleet.down()
    # Nothing may be left behind, even when tests failed.
    leftovers = [s.name for s in servers if is_ours(s.pid, s.marker) or Path(s.root).is_mount()
                 or os.path.exists(f"/run/netns/{s.netns}")]
    assert not leftovers, f"servers left behind: {leftovers}"
    assert network.ip("link", "show", BRIDGE, check=False).returncode != 0, "bridge left behind"
    assert not is_ours(fleet.proxy_pid, "apt-cacher-ng") if fleet.proxy_pid else True


LOCAL_INVENTORY = PROJECT / "inventories/local.py"


def pyinfra(inventory: Path | str, deploy: str = "deploy.py", *args: str, env: dict | None = None) -> Run:
    # --dry as an operator runs it: without -y, so pyinfra works out what would change.
    yes = [] if "--dry" in args else ["-y"]
    proc = subprocess.run([str(BIN / "pyinfra"), *yes, "--json", *args, str(inventory), deploy],
                          cwd=PROJECT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    try:
        payload = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        payload = {}
    return Run(proc.returncode, payload.get("results") or {}, proc.stderr, payload.get("plan") or [])


@pytest.fixture(scope="session")
def run_pyinfra(fleet):
    """Run the real pyinfra CLI against the session's servers (or another inventory)."""
    def run(*args: str, inventory: Path | str | None = None, deploy: str = "deploy.py",
            env: dict | None = None) -> Run:
        return pyinfra(inventory or LOCAL_INVENTORY, deploy, *args,
                       env={"SERVERS_RUN_DIR": str(fleet.run_dir), **(env or {})})
    return run


@pytest.fixture
def inventory_with(fleet, tmp_path):
    """An inventory of the session's servers with some data changed, as an operator would edit it."""
    def make(**data) -> Path:
        path = tmp_path / "inventory.py"
        path.write_text(textwrap.dedent(f"""
            import runpy
            local = runpy.run_path({str(LOCAL_INVENTORY)!r})
            servers = [(name, {{**host_data, **{data!r}}}) for name, host_data in local["servers"]]
            backup = [(name, {{**host_data, **{data!r}}}) for name, host_data in local["backup"]]
        """))
        return path
    return make


@pytest.fixture(scope="session")
def deployed(fleet, run_pyinfra) -> Run:
    """The first, cold deploy of every server."""
    run = run_pyinfra()
    assert run.rc == 0, run.log[-3000:]
    return run


def server_suite(fleet: Fleet, *args: str) -> subprocess.CompletedProcess:
    """The user-facing testinfra suite (tests/server), run as a user would against the servers."""
    hosts = ",".join(f"ssh://{s.name}" for s in fleet.all)
    return subprocess.run(
        [str(BIN / "pytest"), "-p", "no:cacheprovider", "-q", str(PROJECT / "tests/server"),
         f"--hosts={hosts}", f"--ssh-config={fleet.ssh_config}", f"--inventory={LOCAL_INVENTORY}", *args],
        cwd=PROJECT, capture_output=True, text=True, env={**os.environ, "SERVERS_RUN_DIR": str(fleet.run_dir)})


def psql(fleet: Fleet, server, sql: str, database: str = "chat", role: str | None = None) -> subprocess.CompletedProcess:
    """SQL on a server over its local socket as the superuser, or acting as `role` (SET ROLE)."""
    script = (f"SET ROLE {role};\n" if role else "") + sql
    return subprocess.run(
        ["ssh", "-F", str(fleet.ssh_config), "-o", "BatchMode=yes", server.name,
         f"cd / && runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d {database}"],
        input=script, capture_output=True, text=True, timeout=120)


@pytest.fixture
def migrations_dir(tmp_path):
    """A copy of sql/ plus test-only migrations, as `migrations_dir` for inventory_with."""
    def make(**extra: str) -> str:
        directory = tmp_path / "sql"
        directory.mkdir(exist_ok=True)
        for source in (PROJECT / "sql").glob("*.sql"):
            (directory / source.name).write_bytes(source.read_bytes())
        for name, text in extra.items():
            (directory / name).write_text(text)
        return str(directory)
    return make
