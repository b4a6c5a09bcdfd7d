"""Convex export values: which of the two JSON encodings a table uses, and reading numbers,
creation times and embeddings out of either.

"uniform" (current exports): int64 is a bare JSON integer, float64 has a fraction or an
exponent, non-finite floats are {"$float": base64 of 8 little-endian bytes}, bytes are
{"$bytes": base64}. Legacy ("clean JSON"): int64 is a decimal string, non-finite floats are
the strings "NaN", "Infinity", "-Infinity", bytes are plain base64 strings.
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

UNIFORM_MARKER = "uniform"
_LEGACY_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_INT64 = re.compile(r"-?(0|[1-9][0-9]{0,18})")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MILLISECOND = timedelta(milliseconds=1)
_LAST_MICROSECOND = timedelta(microseconds=999)


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


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
