"""Reading Convex's two value encodings, creation times and embeddings."""

import base64
import math
import random
import struct
from datetime import datetime, timedelta, timezone

import numpy
import pytest

from pgcore.convex_values import BadValue, Encoding, creation_time, detect, embedding, number

UNIFORM, LEGACY = Encoding.UNIFORM, Encoding.LEGACY


def float_bytes(value: float) -> dict:
    return {"$float": base64.b64encode(struct.pack("<d", value)).decode()}


def test_encoding_is_detected_from_the_first_schema_line():
    assert detect("uniform") is UNIFORM
    assert detect('{_creationTime: normalfloat64, _id: "x", foo: int64}') is LEGACY
    for junk in ({"uniform": True}, "", "something else", None):
        with pytest.raises(BadValue):
            detect(junk)


@pytest.mark.parametrize("value, encoding, expected", [
    (3, UNIFORM, 3.0), (1e-38, UNIFORM, 1e-38), (float_bytes(-math.inf), UNIFORM, -math.inf),
    ("42", LEGACY, 42.0), ("-9223372036854775808", LEGACY, -9223372036854775808.0),
    ("Infinity", LEGACY, math.inf), ("-Infinity", LEGACY, -math.inf), (2.5, LEGACY, 2.5),
])
def test_numbers_in_each_encoding(value, encoding, expected):
    assert number(value, encoding) == expected


def test_nan_in_each_encoding():
    assert math.isnan(number(float_bytes(math.nan), UNIFORM))
    assert math.isnan(number("NaN", LEGACY))


@pytest.mark.parametrize("value, encoding", [
    ("42", UNIFORM),  # an int64 is a bare integer in the uniform encoding
    ("NaN", UNIFORM),
    (float_bytes(math.nan), LEGACY),
    ({"$float": "AAAA"}, UNIFORM),  # 3 bytes, not 8
    ({"$float": "not base64!"}, UNIFORM),
    ("12345678901234567890", LEGACY),  # beyond int64
    (True, UNIFORM), (None, LEGACY), ([1.0], UNIFORM),
])
def test_non_numbers_are_refused(value, encoding):
    with pytest.raises(BadValue):
        number(value, encoding)


def test_creation_time_keeps_the_microseconds_the_float_carries():
    assert creation_time(1718031234567.891) == datetime(2024, 6, 10, 14, 53, 54, 567891, tzinfo=timezone.utc)


def test_creation_time_never_rounds_into_the_next_millisecond():
    value = 1718031234567.9998  # stored as ...567.999755859375
    assert datetime.fromtimestamp(value / 1000, tz=timezone.utc).microsecond == 568000
    assert creation_time(value) == datetime(2024, 6, 10, 14, 53, 54, 567999, tzinfo=timezone.utc)


def test_creation_time_stays_in_its_millisecond_and_within_a_microsecond():
    epoch, microsecond = datetime(1970, 1, 1, tzinfo=timezone.utc), timedelta(microseconds=1)
    rng = random.Random(7)
    for _ in range(20000):
        value = 1.7e12 + rng.uniform(0, 1e10)
        result = creation_time(value)
        floor = epoch + timedelta(milliseconds=math.floor(value))
        assert floor <= result <= floor + 999 * microsecond
        assert abs((result - epoch) / microsecond - value * 1000) <= 1


@pytest.mark.parametrize("value", [math.nan, math.inf, "1718031234567.891", None, True, 1e300])
def test_bad_creation_times_are_refused(value):
    with pytest.raises(BadValue):
        creation_time(value)


def test_embedding_gives_float32_values():
    values = [random.Random(3).uniform(-1, 1) for _ in range(8)]
    values[0] = 1e-38
    got = embedding(values, UNIFORM, 8)
    assert got.dtype == numpy.float32
    assert numpy.array_equal(got, numpy.array(values, dtype=numpy.float32))


def test_embedding_accepts_legacy_int64_strings():
    assert embedding(["3", 0.5], LEGACY, 2).tolist() == [3.0, 0.5]


@pytest.mark.parametrize("values, encoding, why", [
    ([0.0] * 3, UNIFORM, "3 numbers, not 4"),
    ({"x": 1}, UNIFORM, "not an array"),
    ([0.0, 0.0, 0.0, float_bytes(math.nan)], UNIFORM, r"embedding\[3\] = nan is not finite"),
    ([0.0, "Infinity", 0.0, 0.0], LEGACY, r"embedding\[1\] = inf is not finite"),
    ([0.0, 0.0, 1e39, 0.0], UNIFORM, "overflows a 4-byte float"),
    ([0.0, 0.0, "NaN", 0.0], UNIFORM, "not a number in the uniform encoding"),
    ([0.0, None, 0.0, 0.0], LEGACY, "not a number"),
])
def test_bad_embeddings_say_why(values, encoding, why):
    with pytest.raises(BadValue, match=why):
        embedding(values, encoding, 4)
