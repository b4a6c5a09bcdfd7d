"""PostgreSQL's binary COPY format ("COPY ... Binary Format" in PostgreSQL's documentation): a
signature, then per row an int16 field count and, per field, an int32 length (-1 for NULL)
and that many bytes in the column type's binary form, then an int16 -1 trailer.

psycopg's write_row does this from Python values; the importer writes the bytes itself so
that worker processes, which have no connection, can turn documents into finished COPY data
and the main process only passes it on (psycopg's `Copy.write` sends a block as it is)."""

from __future__ import annotations

import struct

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)  # no flags, no header extension
TRAILER = struct.pack(">h", -1)
NULL = struct.pack(">i", -1)
_LENGTH = struct.Struct(">i").pack
_COUNT = struct.Struct(">h").pack
_INT4 = struct.Struct(">i").pack


def row(fields: list[bytes | None]) -> bytes:
    """One row: each field already in its type's binary form, or None for NULL."""
    parts = [_COUNT(len(fields))]
    for field in fields:
        if field is None:
            parts.append(NULL)
        else:
            parts.append(_LENGTH(len(field)))
            parts.append(field)
    return b"".join(parts)


def int4(n: int) -> bytes:
    return _INT4(n)


def text(value: str | None) -> bytes | None:
    """text's binary form is its bytes in the client encoding, which the importer sets to UTF8."""
    return None if value is None else value.encode()
