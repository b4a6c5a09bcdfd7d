"""One import: stage every table of the export, then merge them in parent-to-child order,
all in one transaction, so an interrupted import leaves the database as it was and a re-run
starts clean; ON CONFLICT (id) DO NOTHING makes a re-import of the same export a no-op."""

from __future__ import annotations

import logging
import time

import orjson
import psycopg
from pgvector.psycopg import register_vector

from pgcore.convex_mapping import TARGETS, Converter, Mapping, Rejected, row_id

from . import merge, staging
from .export import Export, ExportError
from .progress import Reporter
from .rejects import Rejects
from .summary import TableCounts

log = logging.getLogger("importer")


def run(export: Export, conn: psycopg.Connection, mapping: Mapping, rejects: Rejects,
        reporter: Reporter) -> list[TableCounts]:
    sources = {target: mapping.tables[target].source for target in TARGETS}
    missing = [f"{source!r} (for {target})" for target, source in sources.items() if not export.has_table(source)]
    if missing:
        raise ExportError(f"{export.path} has no table {', '.join(missing)}; "
                          f"it has: {', '.join(sorted(export.table_numbers)) or 'none'}")
    for part in export.not_imported(set(sources.values())):
        log.info("not imported: %s", part)
    register_vector(conn)
    with conn.transaction(), conn.cursor() as cur:
        unknown = {target: stage(cur, export, mapping, target, rejects, reporter) for target in TARGETS}
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
          reporter: Reporter) -> set[str]:
    """COPY every document of `target`'s Convex table into its staging table; the ones that
    fail their own checks go to the rejects file now. Returns the unmapped field names."""
    source = mapping.tables[target].source
    converter = Converter(mapping, target, export.encoding(source), export.table_numbers)
    staging.create(cur, target)
    blank = staging.blank_row(target)
    unknown: set[str] = set()
    with cur.copy(staging.copy_statement(target)) as copy, reporter.table(target, export.size(source)) as progress:
        copy.set_types(staging.types(target))
        for number, line in export.documents(source):
            rejected = None
            try:
                doc = orjson.loads(line)
                copy.write_row([*converter.convert(doc), number, "candidate", None, None])
            except orjson.JSONDecodeError as error:
                doc, rejected = line.decode("utf-8", "replace"), Rejected("bad_json", str(error))
            except Rejected as error:
                rejected = error
            if rejected is not None:
                # Staged too, so that the database counts it and a child can say its parent failed.
                convex_id = doc.get("_id") if isinstance(doc, dict) else None
                convex_id = convex_id if isinstance(convex_id, str) else None
                copy.write_row([row_id(convex_id) if convex_id else None, convex_id, None, None, *blank,
                                number, "invalid", rejected.reason, rejected.detail])
                rejects.write(source, number, convex_id, rejected.reason, rejected.detail, doc)
            if isinstance(doc, dict) and (new := converter.unknown_fields(doc) - unknown):
                log.warning("%s: field %s is not mapped and not imported", source, ", ".join(sorted(new)))
                unknown |= new
            progress.advance(len(line) + 1)
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
