"""Temporary staging tables, one per target table, filled by binary COPY.

Every document lands here, valid or not, so the database can count and reconcile them all:
`state` is 'candidate' (passed the per-document checks), 'invalid' (failed them; already in the
rejects file) or, after the merge's checks, 'rejected'. `line` is the document's line in
its documents.jsonl, the key that ties a staged row back to the export."""

from __future__ import annotations

from psycopg import Cursor, sql

from pgcore.convex_mapping import TARGETS, Column

_TYPES = {"text": "text", "embedding": "vector"}
HEAD = [("id", "uuid"), ("convex_id", "text"), ("created_at", "timestamptz"), ("creation_time", "float8")]
TAIL = [("line", "int4"), ("state", "text"), ("reason", "text"), ("detail", "text")]


def reference_convex_id(column: Column) -> str:
    """The staging column keeping the referenced document's own _id, for messages."""
    return f"{column.name}_convex"


def columns(target: str) -> list[tuple[str, str]]:
    """(name, type) of the staging table for `target`, in the order the Converter emits rows."""
    middle = []
    for column in TARGETS[target]:
        if column.kind == "reference":
            middle += [(column.name, "uuid"), (reference_convex_id(column), "text")]
        else:
            middle.append((column.name, _TYPES[column.kind]))
    return HEAD + middle + TAIL


def table(target: str) -> sql.Identifier:
    return sql.Identifier(f"stage_{target}")


def create(cur: Cursor, target: str) -> None:
    definition = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(kind))
                                    for name, kind in columns(target))
    cur.execute(sql.SQL("CREATE TEMP TABLE {} ({}) ON COMMIT DROP").format(table(target), definition))


def copy_statement(target: str) -> sql.Composed:
    names = sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns(target))
    return sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(table(target), names)


def blank_row(target: str) -> list:
    """A row of NULLs between the head and the tail, for a document that failed its checks."""
    return [None] * (len(columns(target)) - len(HEAD) - len(TAIL))


def analyze(cur: Cursor, target: str) -> None:
    # Temporary tables are never auto-analyzed; the merge's joins need row counts.
    cur.execute(sql.SQL("ANALYZE {}").format(table(target)))
