"""Reading Convex's two value encodings, creation times and embeddings."""

import base64
import math
import random
import struct
from datetime import datetime, timedelta, timezone

import numpy
import pytest

from pgcore.convex_values import (BadValue, Encoding, apply_hint, creation_time, detect, embedding, number, override,
                                  pg_microseconds, vector_binary)

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


BAD_EMBEDDINGS = [
    ([0.0] * 3, UNIFORM, "3 numbers, not 4"),
    ({"x": 1}, UNIFORM, "not an array"),
    ([0.0, 0.0, 0.0, float_bytes(math.nan)], UNIFORM, r"embedding\[3\] = nan is not finite"),
    ([0.0, "Infinity", 0.0, 0.0], LEGACY, r"embedding\[1\] = inf is not finite"),
    ([0.0, 0.0, 1e39, 0.0], UNIFORM, "overflows a 4-byte float"),
    ([0.0, 0.0, "NaN", 0.0], UNIFORM, "not a number in the uniform encoding"),
    ([0.0, None, 0.0, 0.0], LEGACY, "not a number"),
]


@pytest.mark.parametrize("values, encoding, why", BAD_EMBEDDINGS)
def test_bad_embeddings_say_why(values, encoding, why):
    with pytest.raises(BadValue, match=why):
        embedding(values, encoding, 4)


def test_vector_binary_is_pgvectors_wire_form_of_the_same_float32_values():
    rng = random.Random(5)
    values = [rng.uniform(-1, 1) for _ in range(6)] + [3, 1e-38, 1e-46, -0.0]  # an int, tiny, underflowing
    got = vector_binary(values, UNIFORM, 10)
    assert got[:4] == struct.pack(">HH", 10, 0)
    assert got[4:] == embedding(values, UNIFORM, 10).astype(">f4").tobytes()
    assert numpy.array_equal(numpy.frombuffer(got[4:], dtype=">f4"), numpy.array(values, dtype=numpy.float32))


def test_vector_binary_takes_what_embedding_takes():
    legacy = ["3", 0.5, "-7", 1.25]
    assert vector_binary(legacy, LEGACY, 4)[4:] == numpy.array([3, 0.5, -7, 1.25], dtype=">f4").tobytes()


@pytest.mark.parametrize("values, encoding, why", BAD_EMBEDDINGS + [
    ([0.0, 0.0, 0.0, math.inf], UNIFORM, r"embedding\[3\] = inf is not finite"),  # encodes, yet is refused
    ([0.0, math.nan, 0.0, 0.0], UNIFORM, r"embedding\[1\] = nan is not finite"),
    ([0.0, 0.0, 3.4028235677973366e38, 0.0], UNIFORM, "overflows a 4-byte float"),  # rounds to infinity
])
def test_vector_binary_refuses_what_embedding_refuses(values, encoding, why):
    with pytest.raises(BadValue, match=why):
        vector_binary(values, encoding, 4)


def test_float32_max_itself_is_accepted():
    top = float(numpy.finfo(numpy.float32).max)
    assert numpy.frombuffer(vector_binary([top, -top], UNIFORM, 2)[4:], dtype=">f4").tolist() == [top, -top]


def test_pg_microseconds_counts_from_2000():
    assert pg_microseconds(datetime(2000, 1, 1, tzinfo=timezone.utc)) == 0
    assert pg_microseconds(creation_time(1718031234567.891)) == \
        (creation_time(1718031234567.891) - datetime(2000, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)
    assert pg_microseconds(datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc)) == -1


# The legacy encoding's override lines (convex-backend's ExportContext).

def test_an_override_line_is_one_id_and_its_context():
    context = {"tokenCount": "int64", "embedding": ["infer", "float64inf", {"$float64NaN": "AAAAAAAA+H8="}]}
    assert override({"jd7abc": context}) == ("jd7abc", context)


@pytest.mark.parametrize("line, why", [
    ({"a": "int64", "b": "bytes"}, "one _id"),
    ("int64", "one _id"),
    ({"a": "integer"}, "invalid export context 'integer'"),
    ({"a": {"f": 5}}, "invalid export context 5"),
    ({"a": {"$float64NaN": "AAAA"}}, "eight bytes"),
    ({"a": {"$float64NaN": "not base64!"}}, "not base64"),
])
def test_bad_override_lines_say_why(line, why):
    with pytest.raises(BadValue, match=why):
        override(line)


def test_hints_decode_a_legacy_value_as_convex_does():
    nan = struct.pack("<d", math.nan)
    doc = {"n": "-42", "b": "aGk=", "i": "-Infinity", "x": "NaN", "s": "12", "v": ["3", "Infinity", 0.5], "f": 7}
    context = {"n": "int64", "b": "bytes", "i": "float64inf", "x": {"$float64NaN": base64.b64encode(nan).decode()},
               "v": ["int64", "float64inf", "infer"], "f": "int64"}
    got = apply_hint(doc, context)
    assert got["n"] == -42 and got["b"] == b"hi" and got["i"] == -math.inf and math.isnan(got["x"])
    assert got["s"] == "12"  # no hint: left for the column's type to read
    assert got["v"] == [3, math.inf, 0.5]
    assert got["f"] == 7  # a JSON number is a number whatever the context


@pytest.mark.parametrize("value, context, why", [
    ("12x", "int64", "not an int64"),
    (str(2**63), "int64", "not an int64"),
    ("Inf", "float64inf", "not Infinity"),
    ("nan", {"$float64NaN": "AAAAAAAA+H8="}, "not NaN"),
    ("a", "bytes", "not base64"),
    ("a", ["int64"], "does not fit the string"),
    (["1", "2"], ["int64"], "1 elements, the array 2"),
    (["1"], "int64", "does not fit an array"),
    ({"a": "1"}, "int64", "does not fit an object"),
])
def test_hints_that_do_not_fit_are_refused(value, context, why):
    with pytest.raises(BadValue, match=why):
        apply_hint(value, context)


def test_int64_hints_take_what_rusts_parse_takes():
    assert apply_hint("+7", "int64") == 7
    assert apply_hint(str(-2**63), "int64") == -2**63
    with pytest.raises(BadValue):
        apply_hint(" 7", "int64")
