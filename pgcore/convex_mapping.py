"""Which Convex table and field lands in which column of sql/001_initial_schema.sql, the
checks a document passes on the way, and the mapping file that renames Convex's side.

A mapping file is JSON, keyed by this schema's table and column names, naming the Convex
table and fields they come from; anything left out keeps its default:
    {"users": {"table": "people", "fields": {"external_id": "authId"}}}
"""

from __future__ import annotations

import difflib
import hashlib
import json
import struct
import uuid
from dataclasses import dataclass, field

from . import convex_ids
from .convex_values import (BadValue, Encoding, apply_hint, creation_time, embedding, pg_microseconds,
                           vector_binary)

# Fixed forever: every row's id is uuid5(NAMESPACE, its Convex _id), so a re-import, and every
# reference to the row, gives the same uuid.
NAMESPACE = uuid.UUID("d4a80167-484e-4133-866d-b2299199ee87")
EMBEDDING_DIMENSIONS = 1536


def row_id(convex_id: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, convex_id)


_NAMESPACE_BYTES = NAMESPACE.bytes
_INT8, _FLOAT8 = struct.Struct(">q"), struct.Struct(">d")


def row_id_bytes(convex_id: str) -> bytes:
    """`row_id(convex_id).bytes`, uuid's binary wire form, without building a UUID object:
    RFC 4122 version 5 is SHA-1 of namespace + name, cut to 16 bytes, with the version nibble
    set to 5 and the variant bits to 10: what uuid.uuid5 does, less the UUID object, which a
    binary COPY row has no use for."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + convex_id.encode()).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50
    digest[8] = digest[8] & 0x3F | 0x80
    return bytes(digest)


@dataclass(frozen=True)
class Column:
    name: str
    source: str  # the Convex field it comes from by default
    kind: str = "text"  # "text", "reference" (a Convex id of `references`) or "embedding"
    required: bool = False
    max_length: int | None = None
    references: str | None = None
    choices: tuple[str, ...] = ()
    unique: bool = False  # Convex never enforced it: the earliest _creationTime wins


# Tables in load order: parents before children.
TARGETS: dict[str, tuple[Column, ...]] = {
    "users": (
        Column("external_id", "clerkId", required=True, max_length=255, unique=True),
        Column("email", "email", required=True, max_length=255, unique=True),
        Column("full_name", "name", max_length=255),
        Column("image_url", "imageUrl"),
    ),
    "chat_sessions": (
        Column("user_id", "userId", kind="reference", required=True, references="users"),
        Column("title", "title", required=True, max_length=255),
    ),
    "messages": (
        Column("session_id", "sessionId", kind="reference", required=True, references="chat_sessions"),
        Column("sender", "sender", required=True, max_length=50, choices=("user", "assistant")),
        Column("content", "content", required=True),
        Column("embedding", "embedding", kind="embedding"),
    ),
}
SYSTEM_FIELDS = ("_id", "_creationTime")


class MappingError(ValueError):
    """A mapping file that cannot be used; one line per problem."""


class Rejected(Exception):
    """A document that cannot land: a short reason code and a human detail."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass(frozen=True)
class TableMapping:
    target: str
    source: str  # the Convex table name
    fields: dict[str, str]  # target column -> Convex field

    @property
    def columns(self) -> tuple[Column, ...]:
        return TARGETS[self.target]

    def known_fields(self) -> frozenset[str]:
        return frozenset(SYSTEM_FIELDS) | frozenset(self.fields.values())


@dataclass(frozen=True)
class Mapping:
    tables: dict[str, TableMapping] = field(default_factory=dict)

    @classmethod
    def default(cls) -> Mapping:
        return cls.from_data({})

    @classmethod
    def from_data(cls, data) -> Mapping:
        found = problems(data)
        if found:
            raise MappingError("; ".join(found))
        tables = {}
        for target, columns in TARGETS.items():
            given = data.get(target, {})
            names = {c.name: c.source for c in columns} | given.get("fields", {})
            tables[target] = TableMapping(target, given.get("table", target), names)
        return cls(tables)

    @classmethod
    def load(cls, path: str) -> Mapping:
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except OSError as error:
            raise MappingError(f"mapping file {path}: {error.strerror}") from None
        except ValueError as error:
            raise MappingError(f"mapping file {path} is not JSON: {error}") from None
        try:
            return cls.from_data(data)
        except MappingError as error:
            raise MappingError(f"mapping file {path}: {error}") from None

    def parent_source(self, column: Column) -> str:
        return self.tables[column.references].source


def problems(data) -> list[str]:
    """Every reason `data` (a decoded mapping file) is not a usable mapping."""
    if not isinstance(data, dict):
        return [f"must be a JSON object, got {type(data).__name__}"]
    found = []
    for target, given in data.items():
        if target not in TARGETS:
            found.append(_unknown("table", target, TARGETS))
        elif not isinstance(given, dict):
            found.append(f"{target} must be an object, got {type(given).__name__}")
        else:
            found += _table_problems(target, given)
    return found


def _table_problems(target: str, given: dict) -> list[str]:
    found = [_unknown(f"key in {target}", key, ("table", "fields")) for key in given if key not in ("table", "fields")]
    if "table" in given and not _name(given["table"]):
        found.append(f"{target}.table must be a non-empty string, got {given['table']!r}")
    fields = given.get("fields", {})
    if not isinstance(fields, dict):
        return found + [f"{target}.fields must be an object, got {type(fields).__name__}"]
    columns = {c.name: c.source for c in TARGETS[target]}
    for column, source in fields.items():
        if column not in columns:
            found.append(_unknown(f"column of {target}", column, columns))
        elif not _name(source) or source in SYSTEM_FIELDS:
            found.append(f"{target}.fields.{column} must be a Convex field name, got {source!r}")
    sources = list((columns | fields).values())
    found += [f"{target}: field {s!r} is mapped to two columns" for s in sorted(set(sources)) if sources.count(s) > 1]
    return found


def _name(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _unknown(what: str, name, candidates) -> str:
    hint = difflib.get_close_matches(str(name), list(candidates), n=1, cutoff=0.6)
    return f"unknown {what} {name!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")


def _decoded(doc: dict, context) -> dict:
    """A copy of a legacy document with its export context applied (the original stays as it
    was, for the rejects file)."""
    if not isinstance(context, dict) or "$float64NaN" in context:
        raise Rejected("bad_value", f"export context {str(context)[:40]!r} does not fit a document")
    decoded = dict(doc)
    for name, hint in context.items():
        if name in decoded:
            try:
                decoded[name] = apply_hint(decoded[name], hint)
            except BadValue as error:
                raise Rejected("bad_value", f"{name}: {error} (generated_schema.jsonl's override)") from None
    return decoded


class Converter:
    """Turns one table's documents into staging rows: id, _id, created_at, _creationTime, then
    each column (a reference gives the parent's uuid and its _id), or raises Rejected.

    `convert` gives Python values; `wire` gives the same row as each field's binary COPY bytes
    (None for NULL), for a loader that writes COPY data itself. Both run the same checks."""

    REFERENCE_CACHE = 1 << 16  # references already checked, per table: children share parents

    def __init__(self, mapping: Mapping, target: str, encoding: Encoding, table_numbers: dict[str, int],
                 overrides: dict[str, object] | None = None):
        self.table = mapping.tables[target]
        self.known = self.table.known_fields()
        self.encoding = encoding
        # Legacy encoding: export contexts by _id (Export.overrides), applied before any check.
        self.overrides = overrides or {}
        self.table_number = table_numbers.get(self.table.source)
        self.plan = []
        for column in self.table.columns:
            parent = mapping.parent_source(column) if column.references else None
            self.plan.append((column, self.table.fields[column.name], parent, table_numbers.get(parent)))
        self._references: dict[tuple[str, bool], list] = {}

    def convert(self, doc) -> list:
        return self._row(doc, False)

    def wire(self, doc) -> list[bytes | None]:
        return self._row(doc, True)

    def _row(self, doc, wire: bool) -> list:
        if not isinstance(doc, dict):
            raise Rejected("bad_json", f"a document must be an object, got {type(doc).__name__}")
        convex_id = doc.get("_id")
        if convex_id is None:
            raise Rejected("missing_field", "_id")
        self._check_id("_id", convex_id, self.table_number, self.table.source, "bad_id")
        if self.overrides and (context := self.overrides.get(convex_id)) is not None:
            doc = _decoded(doc, context)
        if "_creationTime" not in doc:
            raise Rejected("missing_field", "_creationTime")
        try:
            created = creation_time(doc["_creationTime"])
        except BadValue as error:
            raise Rejected("bad_creation_time", str(error)) from None
        if wire:
            row = [row_id_bytes(convex_id), convex_id.encode(), _INT8.pack(pg_microseconds(created)),
                   _FLOAT8.pack(float(doc["_creationTime"]))]
        else:
            row = [row_id(convex_id), convex_id, created, float(doc["_creationTime"])]
        for column, source, parent, parent_number in self.plan:
            value = doc.get(source)
            if value is None:
                if column.required:
                    raise Rejected("missing_field", source)
                row += [None, None] if column.kind == "reference" else [None]
            elif column.kind == "reference":
                row += self._reference(source, value, parent_number, parent, wire)
            elif column.kind == "embedding":
                try:
                    row.append(vector_binary(value, self.encoding, EMBEDDING_DIMENSIONS) if wire
                               else embedding(value, self.encoding, EMBEDDING_DIMENSIONS))
                except BadValue as error:
                    raise Rejected(f"bad_{column.name}", str(error)) from None
            else:
                text = self._text(column, source, value)
                row.append(text.encode() if wire else text)
        return row

    def _reference(self, source: str, value, parent_number: int | None, parent: str, wire: bool) -> list:
        """[parent's uuid, its _id]; a checked reference is remembered (only a valid one: a bad
        one raises every time, with the same reason)."""
        key = (value, wire) if isinstance(value, str) else None
        if key is not None and (known := self._references.get(key)) is not None:
            return known
        self._check_id(source, value, parent_number, parent, "wrong_table_reference")
        known = [row_id_bytes(value), value.encode()] if wire else [row_id(value), value]
        if len(self._references) >= self.REFERENCE_CACHE:
            self._references.clear()  # bounded: memory stays flat whatever the export's size
        self._references[key] = known
        return known

    def unknown_fields(self, doc: dict) -> set[str]:
        return doc.keys() - self.known

    @staticmethod
    def _check_id(source: str, value, table_number: int | None, table: str, wrong_table: str) -> None:
        try:
            decoded = convex_ids.decode(value)
        except convex_ids.InvalidId as error:
            raise Rejected("bad_id", f"{source} {str(value)[:40]!r}: {error}") from None
        # No table number: that table is not in the export, so the reference will dangle.
        if table_number is not None and decoded.table_number != table_number:
            raise Rejected(wrong_table, f"{source} {value} is an id of table number "
                                        f"{decoded.table_number}, not {table} ({table_number})")

    @staticmethod
    def _text(column: Column, source: str, value) -> str:
        if not isinstance(value, str):
            raise Rejected("bad_type", f"{source} is {type(value).__name__}, not a string")
        if "\x00" in value:
            raise Rejected("bad_string", f"{source} contains NUL, which PostgreSQL text cannot hold")
        if column.max_length is not None and len(value) > column.max_length:
            raise Rejected("too_long", f"{source} has {len(value)} characters, over {column.max_length}")
        if column.choices and value not in column.choices:
            raise Rejected(f"bad_{column.name}", f"{source} {value[:40]!r} is not one of {', '.join(column.choices)}")
        return value
