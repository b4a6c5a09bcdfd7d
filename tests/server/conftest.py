"""The server suite: what any provisioned server must show, checked with testinfra.

    pytest tests/server --hosts=ssh://db1.example.com --inventory=inventories/prod.py

Expected values come from the same inventory and group_data the deploy used, merged by
pyinfra's own inventory loader, so the suite checks what was asked for, not a copy of it.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from pyinfra.api import State
from pyinfra.context import ctx_state
from pyinfra_cli.inventory import make_inventory

from pgcore import settings as schema

PROJECT = Path(__file__).resolve().parents[2]


def pytest_addoption(parser):
    parser.addoption("--inventory", default=None,
                     help="pyinfra inventory the servers were deployed from (default: group_data only)")


def load_inventory(config, name: str):
    """The pyinfra inventory the servers were deployed from (or just `name`, on group_data)."""
    path = config.getoption("--inventory")
    with ctx_state.use(State()):  # pyinfra's loader records the file it executes in a state
        return make_inventory(path or name, cwd=str(PROJECT))


def pytest_collection_modifyitems(config, items):
    """A pgBackRest repository host (the inventory's `backup` group) is checked by
    test_repository_host.py alone, and a database server by every other module."""
    inventories, keep, drop = {}, [], []
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params
        target = params.get("_testinfra_host") if params else None
        if target is None:
            keep.append(item)
            continue
        name = target.backend.hostname
        if name not in inventories:
            inventories[name] = load_inventory(config, name)
        repository = schema.BACKUP_GROUP in inventories[name].get_host(name).groups
        (keep if item.module.__name__.endswith("test_repository_host") == repository else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="module")
def inventory(host, request):
    return load_inventory(request.config, host.backend.hostname)


@pytest.fixture(scope="module")
def settings(host, inventory, os_release) -> dict:
    name = host.backend.hostname
    return schema.resolve(inventory.get_host(name).data.dict(), os_release["VERSION_ID"], host=name)


@pytest.fixture(scope="module")
def os_release(host) -> dict:
    pairs = (line.split("=", 1) for line in host.file("/etc/os-release").content_string.splitlines() if "=" in line)
    return {key: value.strip('"') for key, value in pairs}


@pytest.fixture(scope="module")
def major(settings) -> int:
    return settings["postgres_major"]


@pytest.fixture(scope="module")
def psql(host, settings):
    """Run SQL as the postgres superuser over the local socket; returns stdout, stripped."""
    def run(sql: str, database: str = "postgres") -> str:
        command = (f"runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -p {settings['postgres_port']} "
                   f"-d {shlex.quote(database)} -c {shlex.quote(sql)}")
        result = host.run(command)
        assert result.rc == 0, f"{sql!r} failed: {result.stderr}"
        return result.stdout.strip()
    return run
