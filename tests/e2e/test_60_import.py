"""The Convex importer as an operator runs it: from this machine, over TLS, as the migrator
role, into a deployed server; the password comes from PGPASSFILE, never the command line."""

import subprocess
import sys

import pytest

from conftest import PROJECT, psql
from importer.synth import Plan, write
from pgcore.convex_values import Encoding
from test_50_access import read_secrets


@pytest.fixture(scope="module")
def pg1(fleet, deployed):
    server = fleet.servers[0]
    yield server
    psql(fleet, server, "TRUNCATE users CASCADE")


def run_importer(fleet, server, snapshot, tmp_path, *args):
    password = read_secrets(fleet.secrets)["PGDEPLOY_MIGRATOR_PASSWORD"]
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"{server.address}:5432:chat:chat_migrator:{password}\n")
    passfile.chmod(0o600)
    dsn = f"host={server.address} dbname=chat user=chat_migrator sslmode=require"
    return subprocess.run([sys.executable, "-m", "importer", str(snapshot), "--dsn", dsn,
                           "--rejects", str(tmp_path / "rejects.jsonl"), *args],
                          cwd=PROJECT, capture_output=True, text=True, timeout=600,
                          env={"PATH": "/usr/bin:/bin", "PGPASSFILE": str(passfile)})


@pytest.mark.parametrize("encoding", [Encoding.UNIFORM, Encoding.LEGACY])
def test_import_over_tls_then_reimport_changes_nothing(fleet, pg1, tmp_path, encoding):
    psql(fleet, pg1, "TRUNCATE users CASCADE")
    snapshot = tmp_path / "snapshot.zip"
    expected = write(str(snapshot), Plan(users=4, sessions=3, messages=5, encoding=encoding, edge_cases=True))
    first = run_importer(fleet, pg1, snapshot, tmp_path, "--allow-rejects")
    assert first.returncode == 0, first.stderr[-3000:]
    counts = psql(fleet, pg1, "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM chat_sessions), "
                              "(SELECT count(*) FROM messages)").stdout.strip().split("|")
    rejected = {t: sum(1 for (table, _) in expected.rejected if table == t) for t in expected.documents}
    assert [int(n) for n in counts] == [expected.documents[t] - rejected[t]
                                        for t in ("users", "chat_sessions", "messages")]
    lines = (tmp_path / "rejects.jsonl").read_text().splitlines()
    assert len(lines) == len(expected.rejected)
    # Without --allow-rejects the same import exits 1 (rejects), and lands nothing new.
    again = run_importer(fleet, pg1, snapshot, tmp_path)
    assert again.returncode == 1, again.stderr[-3000:]
    assert psql(fleet, pg1, "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM chat_sessions), "
                            "(SELECT count(*) FROM messages)").stdout.strip().split("|") == counts


def test_embeddings_are_searchable_with_the_hnsw_index(fleet, pg1, tmp_path):
    psql(fleet, pg1, "TRUNCATE users CASCADE")
    snapshot = tmp_path / "snapshot.zip"
    write(str(snapshot), Plan(users=2, sessions=2, messages=10))
    assert run_importer(fleet, pg1, snapshot, tmp_path).returncode == 0
    plan = psql(fleet, pg1, "SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT id FROM messages "
                            "ORDER BY embedding <=> (SELECT embedding FROM messages LIMIT 1) LIMIT 5").stdout
    assert "idx_messages_embedding_hnsw" in plan
