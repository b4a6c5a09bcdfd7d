"""A PostgreSQL that this test session starts on a unix socket and stops by its PID at the
end, even on failure (importer.localpg); each test gets a fresh database with the schema."""

from __future__ import annotations

import itertools

import pytest

from importer.localpg import LocalServer, ServerError


@pytest.fixture(scope="session")
def local_server():
    try:
        server = LocalServer()
    except ServerError as error:
        pytest.fail(str(error))
    with server:
        yield server


@pytest.fixture(scope="session")
def server(local_server):
    """The server's socket directory."""
    return local_server.socket_dir


_numbers = itertools.count()


@pytest.fixture
def dsn(local_server) -> str:
    name = f"import_{next(_numbers)}"
    yield local_server.create_database(name)
    local_server.drop_database(name)
