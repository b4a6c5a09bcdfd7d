"""Imports whose outcome depends on what the database already holds, hand-made exports,
mappings, and the command line's errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import psycopg
import pytest
from rich.console import Console

from importer.__main__ import main
from importer.export import Export
from importer.load import run
from importer.progress import Reporter
from importer.rejects import Rejects
from importer.synth import TABLE_NUMBERS, Generator, Plan, write
from pgcore.convex_mapping import NAMESPACE, TARGETS, Mapping

ROOT = Path(__file__).resolve().parents[2]


def write_export(path: Path, tables: dict[str, list[dict]], numbers: dict[str, int] = TABLE_NUMBERS) -> Path:
    """A minimal uniform-encoding export holding exactly `tables`."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_tables/documents.jsonl",
                         "".join(json.dumps({"name": n, "id": numbers[n]}) + "\n" for n in tables))
        for name, docs in tables.items():
            archive.writestr(f"{name}/generated_schema.jsonl", '"uniform"\n')
            archive.writestr(f"{name}/documents.jsonl", "".join(json.dumps(d) + "\n" for d in docs))
    return path


def import_(path, dsn, tmp_path, *extra):
    return main([str(path), "--dsn", dsn, "--rejects", str(tmp_path / "rejects.jsonl"), *extra])


def reasons(tmp_path):
    lines = (tmp_path / "rejects.jsonl").read_text().splitlines()
    return {json.loads(line)["_id"]: json.loads(line)["reason"] for line in lines}


def ids(dsn, table):
    with psycopg.connect(dsn) as conn:
        return {row[0] for row in conn.execute(f"SELECT id FROM {table}")}


def key(doc):
    return uuid.uuid5(NAMESPACE, doc["_id"])


@pytest.fixture
def gen():
    return Generator(Plan(dimensions=1536))


def test_earliest_wins_follows_creation_order_through_chains(gen, dsn, tmp_path):
    # b shares a's email, c shares b's external id: b loses to a, and then c, whose only
    # rival was b, wins. Written newest first, so file order cannot decide.
    a = gen.user(1, email="e1@x.test", clerkId="x1")
    b = gen.user(2, email="e1@x.test", clerkId="x2")
    c = gen.user(3, email="e3@x.test", clerkId="x2")
    path = write_export(tmp_path / "chain.zip", {"users": [c, b, a], "chat_sessions": [], "messages": []})
    assert import_(path, dsn, tmp_path) == 1
    assert ids(dsn, "users") == {key(a), key(c)}
    assert reasons(tmp_path) == {b["_id"]: "duplicate_email"}


def test_a_value_taken_by_another_row_in_the_database_is_rejected_and_cascades(gen, dsn, tmp_path):
    with psycopg.connect(dsn) as conn:
        conn.execute("INSERT INTO users (external_id, email) VALUES ('someone-else', 'taken@x.test')")
    user = gen.user(1, email="taken@x.test")
    session = gen.session(user["_id"], 1)
    path = write_export(tmp_path / "taken.zip", {"users": [user], "chat_sessions": [session], "messages": []})
    assert import_(path, dsn, tmp_path) == 1
    assert reasons(tmp_path) == {user["_id"]: "duplicate_email", session["_id"]: "dangling_reference"}
    assert len(ids(dsn, "users")) == 1 and not ids(dsn, "chat_sessions")


def test_parents_already_in_the_database_satisfy_references(gen, dsn, tmp_path):
    user = gen.user(1)
    session = gen.session(user["_id"], 1)
    first = write_export(tmp_path / "first.zip", {"users": [user], "chat_sessions": [session], "messages": []})
    assert import_(first, dsn, tmp_path) == 0
    # A later export whose parents were imported before: its children land, nothing dangles.
    message = gen.message(session["_id"], 1)
    second = write_export(tmp_path / "second.zip", {"users": [user], "chat_sessions": [], "messages": [message]})
    assert import_(second, dsn, tmp_path) == 0
    assert ids(dsn, "messages") == {key(message)}
    assert (tmp_path / "rejects.jsonl").read_text() == ""


def test_a_mapping_file_renames_tables_and_fields(gen, dsn, tmp_path):
    user = gen.user(1)
    user["authId"] = user.pop("clerkId")
    session = gen.session(user["_id"], 1)
    session["owner"] = session.pop("userId")
    numbers = {"people": TABLE_NUMBERS["users"], "chat_sessions": TABLE_NUMBERS["chat_sessions"],
               "messages": TABLE_NUMBERS["messages"]}
    path = write_export(tmp_path / "renamed.zip", {"people": [user], "chat_sessions": [session], "messages": []},
                        numbers)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"users": {"table": "people", "fields": {"external_id": "authId"}},
                                   "chat_sessions": {"fields": {"user_id": "owner"}}}))
    assert import_(path, dsn, tmp_path, "--mapping", str(mapping)) == 0
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT external_id FROM users").fetchall() == [(user["authId"],)]
        assert conn.execute("SELECT user_id FROM chat_sessions").fetchall() == [(key(user),)]


def test_column_limits_are_the_schemas(dsn):
    with psycopg.connect(dsn) as conn:
        live = dict(((t, c), n) for t, c, n in conn.execute(
            "SELECT table_name, column_name, character_maximum_length FROM information_schema.columns "
            "WHERE table_schema = 'public'"))
    for table, columns in TARGETS.items():
        for column in columns:
            assert live[(table, column.name)] == column.max_length, (table, column.name)


def test_plain_log_lines_when_not_on_a_terminal(gen, dsn, tmp_path):
    path = write_export(tmp_path / "one.zip", {"users": [gen.user(1)], "chat_sessions": [], "messages": []})
    out = subprocess.run([sys.executable, "-m", "importer", str(path), "--dsn", dsn], cwd=ROOT,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    assert "users: staged 1 rows" in out.stderr
    assert "\x1b[" not in out.stderr  # no terminal control codes in a log
    assert (tmp_path / "one.rejects.jsonl").exists()  # the default rejects file sits beside the ZIP


@pytest.mark.parametrize("case, message", [
    ("missing", "no such file"),
    ("not_zip", "is not a ZIP file"),
    ("not_export", "is not a Convex export"),
    ("bad_mapping", "unknown table 'user' (did you mean 'users'?)"),
    ("no_messages", "has no table 'messages'"),
    ("bad_dsn", "importer: database:"),
])
def test_bad_input_is_one_line_and_a_non_zero_exit(gen, tmp_path, server, case, message):
    zip_path = write_export(tmp_path / "ok.zip", {"users": [], "chat_sessions": [], "messages": []})
    dsn = f"host={server} user=postgres dbname=postgres"
    args = [str(zip_path), "--dsn", dsn]
    if case == "missing":
        args[0] = str(tmp_path / "absent.zip")
    elif case == "not_zip":
        args[0] = str(tmp_path / "mapping.json")
        (tmp_path / "mapping.json").write_text("{}")
    elif case == "not_export":
        with zipfile.ZipFile(args[0], "w") as archive:
            archive.writestr("README.md", "hello")
    elif case == "bad_mapping":
        (tmp_path / "m.json").write_text('{"user": {}}')
        args += ["--mapping", str(tmp_path / "m.json")]
    elif case == "no_messages":
        write_export(zip_path, {"users": [], "chat_sessions": []})
    else:
        args[2] = f"host={server} user=postgres dbname=no_such_database"
    out = subprocess.run([sys.executable, "-m", "importer", *args], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_a_terminal_gets_a_progress_bar_with_rows_per_second(gen, dsn, tmp_path):
    path = write_export(tmp_path / "tty.zip", {"users": [gen.user(n) for n in range(3)], "chat_sessions": [],
                                               "messages": []})
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    with Export(str(path)) as export, psycopg.connect(dsn) as conn, Rejects(str(tmp_path / "r.jsonl")) as rejects, \
            Reporter(console) as reporter:
        run(export, conn, Mapping.default(), rejects, reporter)
    assert "3 rows" in screen.getvalue() and "rows/s" in screen.getvalue()
    assert "\x1b[" in screen.getvalue()


def test_parts_left_alone_are_reported(dsn, tmp_path):
    path = tmp_path / "all.zip"
    write(str(path), Plan(users=1, sessions=1, messages=1))
    out = subprocess.run([sys.executable, "-m", "importer", str(path), "--dsn", dsn], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "not imported: table 'notes'" in out.stderr
    assert "not imported: component 'ratelimiter'" in out.stderr
    assert "tokenCount is not mapped" in out.stderr
    assert out.stderr.count("tokenCount") == 1  # once per field, not once per document


PEAK_RSS = """
import resource, sys
from importer.__main__ import main
code = main(sys.argv[1:])
print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def test_memory_stays_flat_as_the_export_grows(local_server, tmp_path):
    peaks = {}
    for messages in (2, 8):  # per session: 1,000 then 4,000 messages of 1536 floats
        path = tmp_path / f"m{messages}.zip"
        write(str(path), Plan(users=50, sessions=10, messages=messages))
        dsn = local_server.create_database(f"flat_{messages}")
        out = subprocess.run([sys.executable, "-c", PEAK_RSS, str(path), "--dsn", dsn], cwd=ROOT,
                             capture_output=True, text=True)
        code, peak_mb = map(int, out.stdout.split()[-2:])
        assert code == 0, out.stderr
        peaks[messages] = peak_mb
        local_server.drop_database(f"flat_{messages}")
    # 3,000 more messages are ~90 MB more JSON; memory may only wobble.
    assert peaks[8] - peaks[2] < 20, peaks


def test_a_damaged_zip_stops_the_import_and_changes_nothing(dsn, tmp_path):
    path = tmp_path / "damaged.zip"
    write(str(path), Plan(users=2, sessions=2, messages=2))
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("messages/documents.jsonl")
    data = bytearray(path.read_bytes())
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle] ^= 0xFF  # one flipped byte inside the deflated messages
    path.write_bytes(bytes(data))
    out = subprocess.run([sys.executable, "-m", "importer", str(path), "--dsn", dsn], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "messages/documents.jsonl" in out.stderr.splitlines()[-1]
    assert not ids(dsn, "users")  # users were staged and merged-ready, but nothing was committed


def write_legacy(path: Path, tables: dict[str, list[dict]], overrides: dict[str, list]) -> Path:
    """A legacy-encoding export: each table's type string, then its override lines."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_tables/documents.jsonl",
                         "".join(json.dumps({"name": n, "id": TABLE_NUMBERS[n]}) + "\n" for n in tables))
        for name, docs in tables.items():
            lines = [json.dumps("{_creationTime: normalfloat64, _id: string}")]
            lines += [line if isinstance(line, str) else json.dumps(line) for line in overrides.get(name, [])]
            archive.writestr(f"{name}/generated_schema.jsonl", "\n".join(lines) + "\n")
            archive.writestr(f"{name}/documents.jsonl", "".join(json.dumps(d) + "\n" for d in docs))
    return path


def test_legacy_overrides_say_how_a_string_decodes(gen, dsn, tmp_path):
    plain, numbered, binary = gen.user(1, name="12345"), gen.user(2, name="12345"), gen.user(3, imageUrl="aGk=")
    path = write_legacy(tmp_path / "legacy.zip", {"users": [plain, numbered, binary], "chat_sessions": [],
                                                  "messages": []},
                        {"users": [{numbered["_id"]: {"name": "int64", "unmapped": "bytes"}},
                                   {binary["_id"]: {"imageUrl": "bytes"}},
                                   {plain["_id"]: "infer"}]})
    assert import_(path, dsn, tmp_path) == 1
    assert reasons(tmp_path) == {numbered["_id"]: "bad_type", binary["_id"]: "bad_type"}
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT full_name FROM users").fetchall() == [("12345",)]
    with Export(str(path)) as export:  # kept: only what touches a field the import reads
        assert export.overrides("users", Mapping.default().tables["users"].known_fields()) == {
            numbered["_id"]: {"name": "int64"}, binary["_id"]: {"imageUrl": "bytes"}}


@pytest.mark.parametrize("line, message", [
    ("not json", "generated_schema.jsonl line 2"),
    ({"not-an-id": "int64"}, "line 2: length"),
    ({"jd7": "int64", "k57": "bytes"}, "line 2: an override line must be an object with one _id"),
    ({"z43zp6c3e75gkmz1kfwj6mbbx5sw281h": "integer"}, "line 2: invalid export context 'integer'"),
])
def test_a_bad_override_line_stops_the_import_on_one_line(tmp_path, server, line, message):
    path = write_legacy(tmp_path / "bad.zip", {"users": [], "chat_sessions": [], "messages": []}, {"users": [line]})
    out = subprocess.run([sys.executable, "-m", "importer", str(path), "--dsn",
                          f"host={server} user=postgres dbname=postgres"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 2
    assert message in out.stderr and "users/generated_schema.jsonl" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
