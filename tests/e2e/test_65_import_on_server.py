"""The importer as an optional deploy step (import_convex.py): the ZIP and a venv of pinned
wheels go up, the import runs next to the database, once per export; on both servers
(Python 3.11 on bookworm, 3.13 on trixie)."""

import re

import pytest

from conftest import psql
from importer.synth import Plan, write

COUNTS = ("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM chat_sessions), "
          "(SELECT count(*) FROM messages)")


@pytest.fixture(scope="module")
def servers(fleet, deployed):
    yield fleet.servers
    for server in fleet.servers:
        psql(fleet, server, "TRUNCATE users CASCADE")
        fleet.ssh(server, "rm -rf /var/lib/pgdeploy-import")


def test_import_on_the_servers_once_and_rejects_reported(fleet, servers, run_pyinfra, tmp_path):
    for server in servers:
        psql(fleet, server, "TRUNCATE users CASCADE")
    snapshot = tmp_path / "snapshot.zip"
    expected = write(str(snapshot), Plan(users=5, sessions=4, messages=6, edge_cases=True))
    landing = [expected.documents[t] - sum(1 for (table, _) in expected.rejected if table == t)
               for t in ("users", "chat_sessions", "messages")]

    # Documents were rejected: the step fails, names them, and leaves no "done" marker.
    first = run_pyinfra("-v", "--data", f"convex_export={snapshot}", deploy="import_convex.py")
    assert first.rc != 0
    assert "documents rejected" in first.log
    for server in servers:
        assert [int(n) for n in psql(fleet, server, COUNTS).stdout.strip().split("|")] == landing
        rejects = fleet.ssh(server, "cat /var/lib/pgdeploy-import/*.rejects.jsonl").stdout.splitlines()
        assert len(rejects) == len(expected.rejected)
        assert fleet.ssh(server, "ls /var/lib/pgdeploy-import/*.done").returncode != 0
        listing = fleet.ssh(server, "stat -c '%U %a' /var/lib/pgdeploy-import").stdout.split()
        assert listing == ["postgres", "700"]

    # Accepted as they are: the re-import adds nothing and finishes.
    accepted = run_pyinfra("-vvv", "--data", f"convex_export={snapshot}", "--data", "convex_allow_rejects=true",
                           deploy="import_convex.py")
    assert accepted.rc == 0, accepted.log[-3000:]
    # Each server's summary: every message that can land is already present, none inserted.
    rows = [line.split()[-4:] for line in accepted.log.splitlines() if re.search(r"\bmessages\s+\d", line)]
    assert rows == [[str(expected.documents["messages"]), "0", str(landing[2]),
                     str(expected.documents["messages"] - landing[2])]] * len(servers)
    for server in servers:
        assert [int(n) for n in psql(fleet, server, COUNTS).stdout.strip().split("|")] == landing
        assert fleet.ssh(server, "ls /var/lib/pgdeploy-import/*.done").returncode == 0

    # The same export again: nothing to do, on any host.
    again = run_pyinfra("--data", f"convex_export={snapshot}", "--data", "convex_allow_rejects=true",
                        deploy="import_convex.py")
    assert (again.rc, again.changed) == (0, 0), [op["name"] for op in again.results["operations"] if op["success"]]


def test_missing_export_is_a_clear_error(run_pyinfra, servers, tmp_path):
    run = run_pyinfra("--data", f"convex_export={tmp_path / 'nope.zip'}", deploy="import_convex.py")
    assert run.rc != 0
    assert f"convex_export {str(tmp_path / 'nope.zip')!r} is not a file on the control machine" in run.log
    bare = run_pyinfra(deploy="import_convex.py")
    assert bare.rc != 0 and "no export to import: give its path" in bare.log
