"""Convex export values: which of the two JSON encodings a table uses, and reading numbers,
creation times and embeddings out of either.

"uniform" (current exports): int64 is a bare JSON integer, float64 has a fraction or an
exponent, non-finite floats are {"$float": base64 of 8 little-endian bytes}, bytes are
{"$bytes": base64}. Legacy ("clean JSON"): int64 is a decimal string, non-finite floats are
the strings "NaN", "Infinity", "-Infinity", bytes are plain base64 strings.

A legacy generated_schema.jsonl may go on, after its type string, with per-document override
lines (convex-backend, crates/shape_inference/src/export_context.rs: GeneratedSchema::
serialize and ExportContext): `{"<_id>": CONTEXT}`, where CONTEXT is "infer", "int64",
"float64inf", "bytes", {"$float64NaN": base64 of 8 little-endian bytes}, a list of CONTEXTs
(one per array element) or an object of CONTEXTs (per field; a field left out is "infer").
Convex writes one where the table's shape alone cannot say how a string decodes, e.g. a
string that is an int64 in a field typed `int64 | string`.
"""

from __future__ import annotations

import base64
import binascii
import enum
import math
import re
import struct
from array import array
from datetime import datetime, timedelta, timezone

import numpy
from pgvector import Vector

UNIFORM_MARKER = "uniform"
_LEGACY_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_INT64 = re.compile(r"-?(0|[1-9][0-9]{0,18})")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLISECOND = timedelta(milliseconds=1)
_LAST_MICROSECOND = timedelta(microseconds=999)
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)  # timestamptz's binary form counts from here
_MICROSECOND = timedelta(microseconds=1)


class Encoding(enum.Enum):
    UNIFORM = "uniform"
    LEGACY = "legacy"


class BadValue(ValueError):
    """A value that cannot be stored; the message says why."""


def detect(first_line) -> Encoding:
    """The encoding announced by the first (already JSON-decoded) line of generated_schema.jsonl."""
    if first_line == UNIFORM_MARKER:
        return Encoding.UNIFORM
    if isinstance(first_line, str) and first_line.startswith("{"):
        return Encoding.LEGACY  # a type string such as "{_creationTime: normalfloat64, ...}"
    raise BadValue(f"generated_schema.jsonl starts with {str(first_line)[:60]!r}, "
                   f"neither {UNIFORM_MARKER!r} nor a type string")


def number(value, encoding: Encoding) -> float:
    """A float64 or int64 value as a Python float."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if encoding is Encoding.UNIFORM and isinstance(value, dict) and value.keys() == {"$float"}:
        try:
            raw = base64.b64decode(value["$float"], validate=True)
        except (binascii.Error, TypeError) as error:
            raise BadValue(f"$float is not base64: {error}") from None
        if len(raw) != 8:
            raise BadValue(f"$float holds {len(raw)} bytes, not 8")
        return struct.unpack("<d", raw)[0]
    if encoding is Encoding.LEGACY and isinstance(value, str):
        if value in _LEGACY_FLOATS:
            return _LEGACY_FLOATS[value]
        if _INT64.fullmatch(value):
            return float(int(value))
    raise BadValue(f"{_show(value)} is not a number in the {encoding.value} encoding")


def creation_time(value) -> datetime:
    """`_creationTime` (float milliseconds since the epoch) as an aware UTC datetime.

    fromtimestamp's microseconds, except that it may round x.9996 ms up into the next
    millisecond: Convex's millisecond is kept, so the result stays inside it.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise BadValue(f"_creationTime {_show(value)} is not a finite number")
    try:
        moment = datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise BadValue(f"_creationTime {value!r} is out of range") from None
    floor = _EPOCH + math.floor(value) * _MILLISECOND
    return min(max(moment, floor), floor + _LAST_MICROSECOND)


def embedding(values, encoding: Encoding, dimensions: int) -> numpy.ndarray:
    """`values` as a float32 array, or BadValue unless it is `dimensions` finite float4 numbers."""
    if not isinstance(values, list):
        raise BadValue(f"embedding is {type(values).__name__}, not an array")
    if len(values) != dimensions:
        raise BadValue(f"embedding has {len(values)} numbers, not {dimensions}")
    try:
        floats = array("f", values)  # the fast path: plain JSON numbers
    except (TypeError, OverflowError):
        floats = array("f", [number(v, encoding) for v in values])
    vector = numpy.frombuffer(floats, dtype=numpy.float32)
    finite = numpy.isfinite(vector)
    if not finite.all():
        index = int(numpy.argmin(finite))
        original = number(values[index], encoding)
        what = "is not finite" if not math.isfinite(original) else "overflows a 4-byte float"
        raise BadValue(f"embedding[{index}] = {original!r} {what}")
    return vector


def vector_binary(values, encoding: Encoding, dimensions: int) -> bytes:
    """`embedding(values, ...)` in pgvector's binary wire form (vector_recv), as pgvector-python
    encodes it (`Vector.to_binary`), so that a worker process can encode a whole COPY row
    without a connection. Same checks, same float32 values: a list of the right length goes
    straight to pgvector-python (no numpy array in between) and must come out finite (a
    finite float64 too large for a float4 becomes inf there); anything else (legacy strings,
    {"$float"}, a wrong length) goes to embedding(), which accepts or says why as before."""
    if isinstance(values, list) and len(values) == dimensions:
        try:
            packed = Vector(values).to_binary()
        except (ValueError, TypeError, OverflowError):
            packed = None
        if packed is not None and numpy.isfinite(numpy.frombuffer(packed, dtype=">f4", offset=4)).all():
            return packed
    return Vector(embedding(values, encoding, dimensions)).to_binary()


def pg_microseconds(moment: datetime) -> int:
    """An aware datetime as timestamptz's binary form: microseconds since 2000-01-01 UTC."""
    return (moment - _PG_EPOCH) // _MICROSECOND


HINTS = ("infer", "int64", "float64inf", "bytes")
_I64 = re.compile(r"[+-]?[0-9]+")  # what Rust's str::parse::<i64> takes, before its range check


def override(line) -> tuple[str, object]:
    """(document _id, its export context) from one already JSON-decoded override line, or
    BadValue. The context comes back as it was written, checked."""
    if not isinstance(line, dict) or len(line) != 1:
        raise BadValue(f"an override line must be an object with one _id, got {_show(line)}")
    ((convex_id, context),) = line.items()
    _check_hint(context)
    return convex_id, context


def _check_hint(context) -> None:
    if isinstance(context, str):
        if context not in HINTS:
            raise BadValue(f"invalid export context {context!r}")
    elif isinstance(context, list):
        for item in context:
            _check_hint(item)
    elif isinstance(context, dict):
        if "$float64NaN" in context:
            raw = _base64(context["$float64NaN"], "$float64NaN")
            if len(raw) != 8:
                raise BadValue("$float64NaN must be exactly eight bytes")
        else:
            for item in context.values():
                _check_hint(item)
    else:
        raise BadValue(f"invalid export context {_show(context)}")


def apply_hint(value, context):
    """A legacy JSON value decoded as its override says, as in ExportContext::apply: an int64
    string becomes an int, a bytes string bytes, "Infinity"/"-Infinity" and "NaN" floats,
    arrays and objects element by element. "infer" leaves the value to be read by the type
    its column expects. A JSON number stays a number whatever the context (Convex reads every
    legacy number as float64). BadValue when the context does not fit the value, where
    Convex's own import would fail too."""
    if context == "infer" or value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        if context == "int64":
            if not _I64.fullmatch(value) or not -2**63 <= int(value) < 2**63:
                raise BadValue(f"{_show(value)} is not an int64")
            return int(value)
        if context == "float64inf":
            if value not in ("Infinity", "-Infinity"):
                raise BadValue(f"{_show(value)} is not Infinity or -Infinity")
            return _LEGACY_FLOATS[value]
        if context == "bytes":
            return _base64(value, "bytes")
        if isinstance(context, dict) and "$float64NaN" in context:
            if value != "NaN":
                raise BadValue(f"{_show(value)} is not NaN")
            return struct.unpack("<d", _base64(context["$float64NaN"], "$float64NaN"))[0]
        raise BadValue(f"a {type(context).__name__} export context does not fit the string {_show(value)}")
    if isinstance(value, list):
        if not isinstance(context, list):
            raise BadValue(f"export context {_show(context)} does not fit an array")
        if len(context) != len(value):
            raise BadValue(f"export context has {len(context)} elements, the array {len(value)}")
        return [apply_hint(item, hint) for item, hint in zip(value, context)]
    if isinstance(value, dict):
        if not isinstance(context, dict) or "$float64NaN" in context:
            raise BadValue(f"export context {_show(context)} does not fit an object")
        return {key: apply_hint(item, context.get(key, "infer")) for key, item in value.items()}
    raise BadValue(f"{_show(value)} is not a JSON value")


def _base64(text, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, TypeError, ValueError) as error:
        raise BadValue(f"{what} is not base64: {error}") from None


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
