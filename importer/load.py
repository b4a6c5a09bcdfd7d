"""One import: stage every table of the export, then merge them in parent-to-child order,
all in one transaction, so an interrupted import leaves the database as it was and a re-run
starts clean; ON CONFLICT (id) DO NOTHING makes a re-import of the same export a no-op."""

from __future__ import annotations

import contextlib
import logging
import time

import orjson
import psycopg

from pgcore.convex_mapping import TARGETS, Mapping

from . import encode, merge, staging, wire
from .export import Export, ExportError
from .progress import Reporter
from .rejects import Rejects
from .summary import TableCounts

log = logging.getLogger("importer")
COPY_BLOCK = 1 << 20  # bytes of COPY data per write when encoding in this process


def run(export: Export, conn: psycopg.Connection, mapping: Mapping, rejects: Rejects,
        reporter: Reporter, workers: int | None = None) -> list[TableCounts]:
    """`workers` processes encode the large tables (default: encode.default_workers(); 0 or 1: none)."""
    sources = {target: mapping.tables[target].source for target in TARGETS}
    missing = [f"{source!r} (for {target})" for target, source in sources.items() if not export.has_table(source)]
    if missing:
        raise ExportError(f"{export.path} has no table {', '.join(missing)}; "
                          f"it has: {', '.join(sorted(export.table_numbers)) or 'none'}")
    for part in export.not_imported(set(sources.values())):
        log.info("not imported: %s", part)
    overrides = {target: export.overrides(source, mapping.tables[target].known_fields())
                 for target, source in sources.items()}
    workers = encode.default_workers() if workers is None else workers
    large = any(export.size(source) >= encode.PARALLEL_BYTES for source in sources.values())
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(encode.Workers(workers, mapping, export.table_numbers, overrides)) \
            if workers > 1 and large else None
        with conn.transaction(), conn.cursor() as cur:
            # The rows are written as binary COPY data here (importer.wire): text in UTF-8.
            cur.execute("SET LOCAL client_encoding TO 'UTF8'")
            unknown = {target: stage(cur, export, mapping, target, rejects, reporter, pool, overrides[target])
                       for target in TARGETS}
            stack.close()  # the workers are done: their memory goes back before the merge
            counts = []
            for target in TARGETS:
                started = time.monotonic()
                table_counts = merge.merge(cur, mapping, target)
                log.info("%s: merged, %s inserted, in %.1f s", target, f"{table_counts.inserted:,}",
                         time.monotonic() - started)
                table_counts.unknown_fields = unknown[target]
                _write_refused(conn, export, target, sources[target], rejects)
                counts.append(table_counts)
    return counts


def stage(cur: psycopg.Cursor, export: Export, mapping: Mapping, target: str, rejects: Rejects,
          reporter: Reporter, pool: encode.Workers | None = None, overrides: dict | None = None) -> set[str]:
    """COPY every document of `target`'s Convex table into its staging table; the ones that
    fail their own checks go to the rejects file now. Returns the unmapped field names."""
    source = mapping.tables[target].source
    encoding = export.encoding(source)
    staging.create(cur, target)
    unknown: set[str] = set()
    if pool is not None and export.size(source) >= encode.PARALLEL_BYTES:
        batches = pool.batches(export, source, target, encoding)
    else:
        encoder = encode.LineEncoder(mapping, target, encoding, export.table_numbers, overrides)
        batches = encode.serial(encoder, export.documents(source), COPY_BLOCK)
    with contextlib.closing(batches), cur.copy(staging.copy_statement(target)) as copy, \
            reporter.table(target, export.size(source)) as progress:
        copy.write(wire.SIGNATURE)
        for batch in batches:
            copy.write(batch.payload)
            for r in batch.rejected:
                rejects.write(source, r.line, r.convex_id, r.reason, r.detail, r.document)
            for fields in batch.unknown:
                if new := fields - unknown:
                    log.warning("%s: field %s is not mapped and not imported", source, ", ".join(sorted(new)))
                    unknown |= new
            progress.advance(batch.size, batch.rows)
        copy.write(wire.TRAILER)
    staging.analyze(cur, target)
    return unknown


def _write_refused(conn: psycopg.Connection, export: Export, target: str, source: str, rejects: Rejects) -> None:
    """The merge's rejections, each with its original document: the export is read again in
    line order beside a server-side cursor in line order, so neither is held in memory."""
    with conn.cursor(name=f"refused_{target}") as cur:
        merge.refused(cur, target)
        rows = iter(cur)
        pending = next(rows, None)
        if pending is None:
            return
        for number, line in export.documents(source):
            if number == pending[0]:
                rejects.write(source, number, pending[1], pending[2], pending[3], orjson.loads(line))
                pending = next(rows, None)
                if pending is None:
                    return
