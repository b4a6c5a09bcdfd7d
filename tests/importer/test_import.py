"""The importer against a real PostgreSQL with pgvector and the planned schema."""

from __future__ import annotations

import json
import math
import uuid
import zipfile
from datetime import datetime, timedelta, timezone

import numpy
import psycopg
import pytest
from pgvector.psycopg import register_vector

from importer import load
from importer.__main__ import main
from importer.synth import Plan, write
from pgcore.convex_mapping import NAMESPACE
from pgcore.convex_values import Encoding

TABLES = ("users", "chat_sessions", "messages")


def documents(path, table):
    """The export's documents, read back with nothing but the standard library."""
    with zipfile.ZipFile(path) as archive:
        lines = archive.read(f"{table}/documents.jsonl").decode().split("\n")
    return [(n, json.loads(line)) for n, line in enumerate(lines, 1) if _is_json(line)]


def _is_json(line):
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def rejects(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle]


def count(dsn, table):
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def snapshot(dsn):
    """Every row of every table, for comparing two database states."""
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}


def run(zip_path, dsn, tmp_path, *extra):
    return main([str(zip_path), "--dsn", dsn, "--rejects", str(tmp_path / "rejects.jsonl"), *extra])


@pytest.fixture(params=[Encoding.UNIFORM, Encoding.LEGACY], ids=lambda e: e.value)
def edge_export(request, tmp_path):
    path = tmp_path / f"edge-{request.param.value}.zip"
    expected = write(str(path), Plan(users=4, sessions=2, messages=3, encoding=request.param, edge_cases=True))
    return path, expected


def test_every_document_lands_or_is_rejected_as_the_generator_meant(edge_export, dsn, tmp_path, capsys):
    path, expected = edge_export
    assert run(path, dsn, tmp_path) == 1  # something was rejected and --allow-rejects was not given
    got = {(r["table"], r["line"]): r["reason"] for r in rejects(tmp_path / "rejects.jsonl")}
    assert got == expected.rejected
    for table in TABLES:
        meant = expected.documents[table] - sum(1 for (t, _) in expected.rejected if t == table)
        assert count(dsn, table) == meant
    summary = capsys.readouterr().out
    for table in TABLES:
        line = next(line for line in summary.splitlines() if line.startswith(table + " "))
        read, inserted, present, rejected = (int(n.replace(",", "")) for n in line.split()[1:])
        assert read == expected.documents[table]
        assert (inserted, present) == (count(dsn, table), 0)
        assert rejected == sum(1 for (t, _) in expected.rejected if t == table)


def test_rejects_carry_the_original_document_and_a_cascade_says_why(edge_export, dsn, tmp_path):
    path, expected = edge_export
    run(path, dsn, tmp_path)
    by_line = {(r["table"], r["line"]): r for r in rejects(tmp_path / "rejects.jsonl")}
    for table in TABLES:
        for line, doc in documents(path, table):
            if (table, line) in by_line:
                assert by_line[(table, line)]["document"] == doc
    cascades = [r for r in by_line.values() if r["reason"] == "dangling_reference" and "was rejected" in r["detail"]]
    # A session of the user that lost the duplicate-email race, one of the user missing its
    # email, and a message of that first session: the rejection reaches two levels down.
    assert sorted(r["table"] for r in cascades) == ["chat_sessions", "chat_sessions", "messages"]


def test_rows_match_their_documents_field_by_field(edge_export, dsn, tmp_path):
    path, expected = edge_export
    run(path, dsn, tmp_path, "--allow-rejects")
    landed = {t: [(n, d) for n, d in documents(path, t) if (t, n) not in expected.rejected] for t in TABLES}
    with psycopg.connect(dsn) as conn:
        register_vector(conn)
        for _, doc in landed["users"]:
            row = conn.execute("SELECT external_id, email, full_name, image_url, created_at FROM users WHERE id = %s",
                               [uuid.uuid5(NAMESPACE, doc["_id"])]).fetchone()
            assert row == (doc["clerkId"], doc["email"], doc.get("name"), doc.get("imageUrl"),
                           expected_time(doc["_creationTime"]))
        for _, doc in landed["chat_sessions"]:
            row = conn.execute("SELECT user_id, title, created_at FROM chat_sessions WHERE id = %s",
                               [uuid.uuid5(NAMESPACE, doc["_id"])]).fetchone()
            assert row == (uuid.uuid5(NAMESPACE, doc["userId"]), doc["title"], expected_time(doc["_creationTime"]))
        for _, doc in landed["messages"]:
            row = conn.execute("SELECT session_id, sender, content, created_at, embedding FROM messages WHERE id = %s",
                               [uuid.uuid5(NAMESPACE, doc["_id"])]).fetchone()
            assert row[:4] == (uuid.uuid5(NAMESPACE, doc["sessionId"]), doc["sender"], doc["content"],
                               expected_time(doc["_creationTime"]))
            if "embedding" not in doc:
                assert row[4] is None
            else:
                values = [float(v) for v in doc["embedding"]]  # a legacy int64 element is a string
                assert numpy.array_equal(row[4].to_numpy(), numpy.array(values, dtype=numpy.float32))


def expected_time(ms: float) -> datetime:
    """The issue's rule, restated: fromtimestamp's microseconds, inside Convex's millisecond."""
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    whole_ms = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=math.floor(ms))
    return min(moment, whole_ms + timedelta(microseconds=999))


def test_created_at_keeps_microseconds_and_its_millisecond(tmp_path, dsn):
    path = tmp_path / "edge.zip"
    write(str(path), Plan(users=1, sessions=1, messages=1, edge_cases=True))
    run(path, dsn, tmp_path, "--allow-rejects")
    with psycopg.connect(dsn) as conn:
        times = {doc["_creationTime"]: conn.execute("SELECT created_at FROM messages WHERE id = %s",
                                                    [uuid.uuid5(NAMESPACE, doc["_id"])]).fetchone()
                 for _, doc in documents(path, "messages")}
    # 0.9998 ms past a millisecond: fromtimestamp alone would round to the next one.
    near_next = next(t for t in times if t % 1 > 0.9995)
    assert datetime.fromtimestamp(near_next / 1000, tz=timezone.utc).microsecond % 1000 == 0
    assert times[near_next][0].microsecond % 1000 == 999
    assert times[near_next][0].microsecond // 1000 == int(near_next) % 1000
    typical = next(t for t, row in times.items() if row and 0.1 < t % 1 < 0.9)
    assert times[typical][0].microsecond == round(typical % 1000 * 1000)


def test_reimport_changes_nothing(edge_export, dsn, tmp_path, capsys):
    path, expected = edge_export
    run(path, dsn, tmp_path)
    before = snapshot(dsn)
    first = capsys.readouterr().out
    assert run(path, dsn, tmp_path) == 1
    second = capsys.readouterr().out
    assert snapshot(dsn) == before
    for table in TABLES:
        read, inserted, present, rejected = _counts(first, table)
        assert _counts(second, table) == (read, 0, inserted, rejected)
    assert {(r["table"], r["line"]): r["reason"] for r in rejects(tmp_path / "rejects.jsonl")} == expected.rejected


def _counts(summary, table):
    line = next(line for line in summary.splitlines() if line.startswith(table + " "))
    return tuple(int(n.replace(",", "")) for n in line.split()[1:])


@pytest.mark.parametrize("where", ["while staging messages", "after merging users"])
def test_an_interrupted_import_leaves_nothing_and_reruns_to_the_same_result(tmp_path, dsn, local_server,
                                                                             monkeypatch, where):
    path = tmp_path / "export.zip"
    write(str(path), Plan(users=5, sessions=2, messages=3, edge_cases=True))
    interrupted = Interrupt(where, monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        run(path, dsn, tmp_path, "--allow-rejects")
    assert interrupted.fired
    assert all(count(dsn, t) == 0 for t in TABLES)
    monkeypatch.undo()
    assert run(path, dsn, tmp_path, "--allow-rejects") == 0
    reference = tmp_path / "reference"
    reference.mkdir()
    other = local_server.create_database("uninterrupted")
    try:
        run(path, other, reference, "--allow-rejects")
        assert snapshot(dsn) == snapshot(other)
    finally:
        local_server.drop_database("uninterrupted")


class Interrupt:
    """Raises KeyboardInterrupt (as Ctrl-C would) at one point of the import."""

    def __init__(self, where, monkeypatch):
        self.fired = False
        if where == "while staging messages":
            real = load.Export.documents

            def documents(export, table):
                for n, item in enumerate(real(export, table)):
                    if table == "messages" and n == 5:
                        self.fire()
                    yield item
            monkeypatch.setattr(load.Export, "documents", documents)
        else:
            real_merge = load.merge.merge

            def merge(cur, mapping, target):
                if target == "chat_sessions":
                    self.fire()
                return real_merge(cur, mapping, target)
            monkeypatch.setattr(load.merge, "merge", merge)

    def fire(self):
        self.fired = True
        raise KeyboardInterrupt
