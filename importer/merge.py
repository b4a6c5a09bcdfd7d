"""From staging into the real tables: the checks that need the whole export or the database
(duplicate _ids, earliest-wins uniqueness, references), then INSERT ... ON CONFLICT (id) DO
NOTHING. Run for parents before children, so "does the parent exist" is one question to the
real table, whether it landed now or in an earlier import."""

from __future__ import annotations

from psycopg import Cursor, sql

from pgcore.convex_mapping import TARGETS, Column, Mapping

from . import staging
from .summary import TableCounts

REJECTED = ("invalid", "rejected")


def merge(cur: Cursor, mapping: Mapping, target: str) -> TableCounts:
    stage, real = staging.table(target), sql.Identifier(target)
    fields = mapping.tables[target].fields
    _duplicate_ids(cur, stage)
    unique = [c for c in TARGETS[target] if c.unique]
    if unique:
        _taken_in_database(cur, stage, real, unique, fields)
        _earliest_wins(cur, stage, unique, fields)
    for column in TARGETS[target]:
        if column.references:
            _dangling(cur, stage, column, fields[column.name])
    names = sql.SQL(", ").join(sql.Identifier(c.name) for c in TARGETS[target])
    cur.execute(sql.SQL("INSERT INTO {real} (id, {names}, created_at) SELECT id, {names}, created_at FROM {stage} "
                        "WHERE state IN ('candidate', 'winner') ON CONFLICT (id) DO NOTHING")
                .format(real=real, names=names, stage=stage))
    inserted = cur.rowcount
    cur.execute(sql.SQL("SELECT state, reason, count(*) FROM {} GROUP BY 1, 2").format(stage))
    counts = TableCounts(target, mapping.tables[target].source, inserted=inserted)
    for state, reason, count in cur.fetchall():
        counts.read += count
        if state in REJECTED:
            counts.rejected[reason] += count
    counts.present = counts.read - inserted - sum(counts.rejected.values())
    return counts


def _duplicate_ids(cur: Cursor, stage: sql.Identifier) -> None:
    cur.execute(sql.SQL("""
        UPDATE {stage} s SET state = 'rejected', reason = 'duplicate_id', detail = '_id is also on line ' || d.first
        FROM (SELECT line, min(line) OVER (PARTITION BY id) AS first FROM {stage} WHERE state = 'candidate') d
        WHERE s.line = d.line AND d.line <> d.first""").format(stage=stage))


def _taken_in_database(cur: Cursor, stage, real, unique: list[Column], fields: dict[str, str]) -> None:
    """A value already held by a different row of the real table (not one of this export's)."""
    for column in unique:
        cur.execute(sql.SQL("""
            UPDATE {stage} s SET state = 'rejected', reason = {reason},
                   detail = format('%s %s is already taken in the database by id %s', {field}::text, s.{col}, t.id)
            FROM {real} t WHERE s.state = 'candidate' AND t.{col} = s.{col} AND t.id <> s.id""").format(
            stage=stage, real=real, col=sql.Identifier(column.name), reason=sql.Literal(f"duplicate_{column.name}"),
            field=sql.Literal(fields[column.name])))


def _earliest_wins(cur: Cursor, stage, unique: list[Column], fields: dict[str, str]) -> None:
    """Greedy in _creationTime order, in rounds: a candidate earliest for every unique value
    it holds wins; candidates sharing a value with a winner lose. Each round has a winner
    (the earliest candidate), and rounds are few: only chains of shared values need more."""
    ranks = sql.SQL(", ").join(
        sql.SQL("row_number() OVER (PARTITION BY {} ORDER BY creation_time, convex_id) AS {}").format(
            sql.Identifier(c.name), sql.Identifier(f"rank_{c.name}")) for c in unique)
    first = sql.SQL(" AND ").join(sql.SQL("w.{} = 1").format(sql.Identifier(f"rank_{c.name}")) for c in unique)
    while True:
        cur.execute(sql.SQL("UPDATE {stage} s SET state = 'winner' FROM (SELECT line, {ranks} FROM {stage} "
                            "WHERE state = 'candidate') w WHERE s.line = w.line AND {first}").format(
            stage=stage, ranks=ranks, first=first))
        if cur.rowcount == 0:
            return
        for column in unique:
            cur.execute(sql.SQL("""
                UPDATE {stage} s SET state = 'rejected', reason = {reason},
                       detail = format('%s %s is taken by %s, created earlier', {field}::text, s.{col}, w.convex_id)
                FROM {stage} w WHERE w.state = 'winner' AND w.{col} = s.{col} AND s.state = 'candidate'""").format(
                stage=stage, col=sql.Identifier(column.name), reason=sql.Literal(f"duplicate_{column.name}"),
                field=sql.Literal(fields[column.name])))


def _dangling(cur: Cursor, stage, column: Column, field: str) -> None:
    """A reference to a row that is not in the real table: missing from the export, or its
    document was rejected (then the rejection cascades, and says so)."""
    cur.execute(sql.SQL("""
        UPDATE {stage} s SET state = 'rejected', reason = 'dangling_reference',
               detail = format('%s %s %s', {field}::text, c.{convex},
                               CASE WHEN p.reason IS NULL THEN 'is not in the export or the database'
                                    ELSE 'was rejected (' || p.reason || ')' END)
        FROM {stage} c LEFT JOIN {parent_stage} p ON p.id = c.{ref} AND p.state IN ('invalid', 'rejected')
        WHERE s.line = c.line AND c.state = 'candidate'
          AND NOT EXISTS (SELECT 1 FROM {parent} t WHERE t.id = c.{ref})""").format(
        stage=stage, parent_stage=staging.table(column.references), parent=sql.Identifier(column.references),
        ref=sql.Identifier(column.name), convex=sql.Identifier(staging.reference_convex_id(column)),
        field=sql.Literal(field)))


def refused(cur: Cursor, target: str) -> None:
    """Select the rows this merge rejected, in line order, for the rejects file."""
    cur.execute(sql.SQL("SELECT line, convex_id, reason, detail FROM {} WHERE state = 'rejected' ORDER BY line")
                .format(staging.table(target)))
