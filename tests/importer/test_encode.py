"""Encoding documents into staging rows in worker processes gives exactly what encoding them
in this process gives: the same COPY bytes, rejects, warnings and, in the database, rows."""

from __future__ import annotations

import json
import logging
import zipfile

import psycopg
import pytest

from importer import encode, export as export_module, wire
from importer.__main__ import main
from importer.export import Export
from importer.synth import Plan, write
from pgcore.convex_mapping import Mapping
from pgcore.convex_values import Encoding

TABLES = ("users", "chat_sessions", "messages")


@pytest.fixture(params=[Encoding.UNIFORM, Encoding.LEGACY], ids=lambda e: e.value)
def edge_zip(request, tmp_path):
    path = tmp_path / f"edge-{request.param.value}.zip"
    write(str(path), Plan(users=3, sessions=2, messages=3, encoding=request.param, edge_cases=True))
    return path


@pytest.fixture
def small_blocks(monkeypatch):
    # Blocks far smaller than a message (~30 KB): lines span blocks, chunks are many.
    monkeypatch.setattr(export_module, "BLOCK_BYTES", 4096)


def test_chunks_hold_the_lines_of_lines(edge_zip, small_blocks):
    with Export(str(edge_zip)) as export:
        for table in TABLES:
            name = f"{table}/documents.jsonl"
            from_chunks = []
            for first, data in export.chunks(name):
                for number, line in enumerate(data.split(b"\n"), first):
                    if line.strip():
                        from_chunks.append((number, line))
            assert from_chunks == list(export.lines(name))


def test_blank_lines_and_a_missing_last_newline_number_the_same(tmp_path, small_blocks):
    path = tmp_path / "odd.zip"
    body = b'{"a": 1}\n\n   \n' + b'{"b": "' + b"x" * 10000 + b'"}\n\n{"c": 3}'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("_tables/documents.jsonl", '{"name": "t", "id": 10001}\n')
        archive.writestr("t/documents.jsonl", body)
    with Export(str(path)) as export:
        lines = list(export.lines("t/documents.jsonl"))
        assert [n for n, _ in lines] == [1, 4, 6]
        chunks = list(export.chunks("t/documents.jsonl"))
        assert b"".join(data for _, data in chunks) == body
        assert chunks[0][0] == 1


def test_a_block_of_lines_encodes_as_the_lines_do_one_by_one(edge_zip, small_blocks):
    with Export(str(edge_zip)) as export:
        for table in TABLES:
            encoding = export.encoding(table)

            def encoder():
                return encode.LineEncoder(Mapping.default(), table, encoding, export.table_numbers)
            one_by_one = list(encode.serial(encoder(), export.documents(table), 1 << 30))
            blocks = [encoder().encode(first, data) for first, data in export.chunks(f"{table}/documents.jsonl")]
            assert b"".join(b.payload for b in blocks) == b"".join(b.payload for b in one_by_one)
            assert [r for b in blocks for r in b.rejected] == [r for b in one_by_one for r in b.rejected]
            assert sum(b.rows for b in blocks) == sum(b.rows for b in one_by_one)


def test_rows_are_binary_copy_tuples():
    assert wire.row([b"ab", None, wire.int4(7)]) == (b"\x00\x03" + b"\x00\x00\x00\x02ab" + b"\xff\xff\xff\xff"
                                                     + b"\x00\x00\x00\x04\x00\x00\x00\x07")
    assert wire.SIGNATURE == b"PGCOPY\n\xff\r\n\x00" + bytes(8)
    assert wire.TRAILER == b"\xff\xff"


def _import(path, dsn, rejects, workers, caplog):
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="importer"):
        code = main([str(path), "--dsn", dsn, "--rejects", str(rejects), "--workers", str(workers)])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    return code, warnings


def _snapshot(dsn):
    with psycopg.connect(dsn) as conn:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY id").fetchall() for t in TABLES}


def test_workers_import_exactly_what_one_process_imports(edge_zip, small_blocks, local_server, tmp_path, monkeypatch,
                                                         caplog, capsys):
    monkeypatch.setattr(encode, "PARALLEL_BYTES", 0)  # every table goes to the workers
    results = {}
    for workers in (1, 2):
        dsn = local_server.create_database(f"workers_{workers}")
        try:
            rejects = tmp_path / f"rejects-{workers}.jsonl"
            code, warnings = _import(edge_zip, dsn, rejects, workers, caplog)
            results[workers] = (code, warnings, rejects.read_bytes(), capsys.readouterr().out, _snapshot(dsn))
        finally:
            local_server.drop_database(f"workers_{workers}")
    assert results[1] == results[2]
    code, warnings, rejects, summary, rows = results[2]
    assert code == 1 and rejects and all(rows.values())
    assert warnings == ["messages: field tokenCount is not mapped and not imported"]
    assert {json.loads(line)["table"] for line in rejects.splitlines()} == set(TABLES)


def test_an_import_interrupted_in_the_workers_leaves_nothing(edge_zip, small_blocks, dsn, tmp_path, monkeypatch):
    monkeypatch.setattr(encode, "PARALLEL_BYTES", 0)
    real = Export.chunks

    def chunks(export, name):
        for n, item in enumerate(real(export, name)):
            if name.startswith("messages/") and n == 3:
                raise KeyboardInterrupt
            yield item
    monkeypatch.setattr(Export, "chunks", chunks)
    with pytest.raises(KeyboardInterrupt):
        main([str(edge_zip), "--dsn", dsn, "--rejects", str(tmp_path / "r.jsonl"), "--workers", "2"])
    with psycopg.connect(dsn) as conn:
        assert all(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] == 0 for t in TABLES)
