"""Convex import speed, side by side in one run on one throwaway local PostgreSQL 15 with
pgvector (importer.localpg), each loader into a fresh database with the schema:

  importer  python -m importer's code: stream the ZIP, binary COPY into staging, merge
            (worker processes parse the large tables: --workers, default one per CPU but one)
  insert    the same documents, converted the same way (the importer's Converter), loaded
            with one INSERT per row, all in one transaction
  copy      the physical limit: the same rows binary-COPY-encoded in memory beforehand
            (not timed), then COPY'd straight into the tables
  importer at a quarter of the size, to show its memory stays flat
  parse     the importer's client side alone, in one process: inflate, parse and encode the
            COPY rows, no database (what the JSON costs a Python loader per CPU)
  inflate   reading the ZIP alone: the part no worker can share (one deflate stream a table)

Each loader runs in its own process; its peak memory is sampled (RSS of the process and all
its descendants, the importer's workers included). Every export has users x 10 sessions x 10
messages with 1536-d embeddings. Nothing here leaves the machine: the server listens on a
unix socket only.

    .venv/bin/python bench/convex_import.py [--messages 200000] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

import orjson  # noqa: E402
import psycopg  # noqa: E402
from pgvector.psycopg import register_vector  # noqa: E402

from importer import encode, staging  # noqa: E402
from importer.__main__ import main as importer_main  # noqa: E402
from importer.export import Export  # noqa: E402
from importer.localpg import LocalServer  # noqa: E402
from importer.synth import Plan, write  # noqa: E402
from pgcore.convex_mapping import TARGETS, Converter, Mapping  # noqa: E402

PER_USER = 10  # sessions per user, and messages per session
PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)


def converted_rows(export: Export, mapping: Mapping, target: str):
    """(column names, values) of each document, as the target table's INSERT wants them."""
    source = mapping.tables[target].source
    converter = Converter(mapping, target, export.encoding(source), export.table_numbers)
    names = [name for name, _ in staging.columns(target)]
    wanted = ["id", *(c.name for c in TARGETS[target]), "created_at"]
    for _, line in export.documents(source):
        by_name = dict(zip(names, converter.convert(orjson.loads(line))))
        yield wanted, [by_name[name] for name in wanted]


def run_insert(zip_path: str, dsn: str) -> int:
    mapping, rows = Mapping.default(), 0
    with Export(zip_path) as export, psycopg.connect(dsn) as conn:
        register_vector(conn)
        for target in TARGETS:
            for names, values in converted_rows(export, mapping, target):
                conn.execute(f"INSERT INTO {target} ({', '.join(names)}) VALUES ({', '.join(['%b'] * len(names))})",
                             values)
                rows += 1
    return rows


def _field(value) -> bytes:
    """One field of a binary COPY tuple: its length, then its bytes (-1 for NULL)."""
    if value is None:
        return struct.pack(">i", -1)
    if isinstance(value, str):
        data = value.encode()
    elif isinstance(value, datetime):
        data = struct.pack(">q", (value - PG_EPOCH) // MICROSECOND)
    elif hasattr(value, "bytes"):  # uuid.UUID
        data = value.bytes
    else:  # a float32 numpy array: pgvector's binary form
        data = struct.pack(">HH", len(value), 0) + value.astype(">f4").tobytes()
    return struct.pack(">i", len(data)) + data


def encode_copy(export: Export, mapping: Mapping, target: str) -> tuple[list[str], bytes, int]:
    parts, count, names = [b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)], 0, []
    for names, values in converted_rows(export, mapping, target):
        parts.append(struct.pack(">h", len(values)) + b"".join(_field(v) for v in values))
        count += 1
    parts.append(struct.pack(">h", -1))
    return names, b"".join(parts), count


def run_copy(zip_path: str, dsn: str) -> tuple[int, float]:
    mapping = Mapping.default()
    with Export(zip_path) as export:
        encoded = [(target, *encode_copy(export, mapping, target)) for target in TARGETS]
    start = time.perf_counter()
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        for target, names, payload, _ in encoded:
            if not names:
                continue
            with cur.copy(f"COPY {target} ({', '.join(names)}) FROM STDIN (FORMAT BINARY)") as copy:
                view = memoryview(payload)
                for offset in range(0, len(view), 1 << 20):
                    copy.write(view[offset:offset + (1 << 20)])
    return sum(e[3] for e in encoded), time.perf_counter() - start


def child(method: str, zip_path: str, dsn: str, workers: str) -> None:
    """Run one loader in this process; print its rows and seconds as JSON."""
    start = time.perf_counter()
    if method == "importer":
        code = importer_main([zip_path, "--dsn", dsn, "--rejects", zip_path + ".rejects.jsonl",
                              *(["--workers", workers] if workers else [])])
        if code != 0:
            sys.exit(f"importer exited {code}")
        with psycopg.connect(dsn) as conn:
            rows = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TARGETS)
        seconds = time.perf_counter() - start
    elif method == "insert":
        rows = run_insert(zip_path, dsn)
        seconds = time.perf_counter() - start
    elif method == "parse":
        rows = 0
        with Export(zip_path) as export:
            for target in TARGETS:
                source = Mapping.default().tables[target].source
                encoder = encode.LineEncoder(Mapping.default(), target, export.encoding(source), export.table_numbers)
                rows += sum(batch.rows for batch in encode.serial(encoder, export.documents(source), 1 << 20))
        seconds = time.perf_counter() - start
    elif method == "inflate":
        with Export(zip_path) as export:
            rows = sum(1 for target in TARGETS for _ in export.documents(Mapping.default().tables[target].source))
        seconds = time.perf_counter() - start
    else:
        rows, seconds = run_copy(zip_path, dsn)
    print(json.dumps({"rows": rows, "seconds": seconds}))


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants now, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total


def measure(method: str, zip_path: str, server: LocalServer, name: str, workers: str) -> dict:
    dsn = server.create_database(name)
    try:
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen([sys.executable, __file__, "--child", method, zip_path, dsn, workers],
                                    cwd=PROJECT, stdout=out, stderr=err, text=True)
            peak = 0
            while proc.poll() is None:
                peak = max(peak, _tree_rss(proc.pid))
                time.sleep(0.1)
            out.seek(0)
            err.seek(0)
            if proc.returncode != 0:
                sys.exit(f"{method} failed:\n{err.read()[-3000:]}")
            result = json.loads(out.read().strip().splitlines()[-1])
        return result | {"peak_mb": peak / 2**20}
    finally:
        server.drop_database(name)


def export_for(messages: int, directory: str) -> str:
    users = max(1, messages // (PER_USER * PER_USER))
    path = f"{directory}/export-{users * PER_USER * PER_USER}.zip"
    start = time.perf_counter()
    write(path, Plan(users=users, sessions=PER_USER, messages=PER_USER))
    print(f"generated {path} ({Path(path).stat().st_size / 2**20:,.0f} MB) in {time.perf_counter() - start:.0f} s",
          file=sys.stderr)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200_000, help="messages in the export (default 200,000)")
    parser.add_argument("--workers", default="", help="the importer's --workers (default: its own default)")
    parser.add_argument("--child", nargs=4, metavar=("METHOD", "ZIP", "DSN", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(*args.child)
    with tempfile.TemporaryDirectory(prefix="convex-bench-") as directory, LocalServer() as server:
        full, quarter = export_for(args.messages, directory), export_for(args.messages // 4, directory)
        results = {}
        for label, method, zip_path in [("importer", "importer", full), ("insert", "insert", full),
                                        ("copy", "copy", full), ("importer 1/4", "importer", quarter),
                                        ("parse", "parse", full), ("inflate", "inflate", full)]:
            results[label] = measure(method, zip_path, server, f"bench_{method}_{len(results)}", args.workers)
            r = results[label]
            print(f"{label}: {r['rows']:,} rows in {r['seconds']:.1f} s", file=sys.stderr)
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the end; importer --workers "
          f"{args.workers or encode.default_workers()}")
    report(results)


def report(results: dict) -> None:
    rate = {label: r["rows"] / r["seconds"] for label, r in results.items()}
    print(f"{'loader':<14}{'rows':>10}{'seconds':>10}{'rows/s':>10}{'peak RSS':>12}")
    for label, r in results.items():
        print(f"{label:<14}{r['rows']:>10,}{r['seconds']:>10.1f}{rate[label]:>10,.0f}{r['peak_mb']:>9,.0f} MB")
    vs_copy, vs_insert = rate["importer"] / rate["copy"], rate["importer"] / rate["insert"]
    print(f"importer / raw COPY:       {vs_copy:.2f}x  (target >= 0.5x: {'met' if vs_copy >= 0.5 else 'NOT met'})")
    print(f"importer / row-by-row:     {vs_insert:.1f}x  (target >= 20x: {'met' if vs_insert >= 20 else 'NOT met'})")
    growth = results["importer"]["peak_mb"] - results["importer 1/4"]["peak_mb"]
    print(f"importer peak RSS, 4x the rows: {growth:+.0f} MB")
    limit = rate["inflate"] / rate["copy"]
    print(f"reading the ZIP alone runs at {limit:.2f}x raw COPY: a ceiling for any loader of this export")


if __name__ == "__main__":
    main()
