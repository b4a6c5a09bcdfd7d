"""Convex document ids, checked against Convex's own stable id and an independent base32."""

import base64
import random

import pytest

from pgcore import convex_ids
from pgcore.convex_ids import DocumentId, InvalidId, decode

# convex-backend crates/value/src/id_v6.rs, test_document_id_stability: table 1017, internal
# id bytes 251, 251*251, ... (wrapping), encodes to this string.
STABLE = "z43zp6c3e75gkmz1kfwj6mbbx5sw281h"


def stable_internal_id() -> bytes:
    out = [251]
    for _ in range(15):
        out.append(out[-1] * 251 % 256)
    return bytes(out)


def test_convex_stable_id_decodes_to_its_table_and_internal_id():
    assert decode(STABLE) == DocumentId(1017, stable_internal_id())
    assert DocumentId(1017, stable_internal_id()).encode() == STABLE


def test_base32_is_rfc4648_bit_order_with_crockford_lowercase_and_no_padding():
    rfc = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", convex_ids.ALPHABET)
    rng = random.Random(1)
    for length in range(0, 24):
        data = rng.randbytes(length)
        assert convex_ids.base32_encode(data) == base64.b32encode(data).decode().rstrip("=").translate(rfc)
        assert convex_ids.base32_decode(convex_ids.base32_encode(data)) == data


def test_fletcher16_wraps_modulo_256_not_255():
    # c0 = 255 + 255 = 510 -> 254, c1 = 255 + 254 = 509 -> 253; modulo 255 both would be 0.
    assert convex_ids.fletcher16(b"\xff\xff") == 0xFDFE


@pytest.mark.parametrize("table_number, length", [
    (1, 31), (127, 31), (128, 32), (10001, 32), (16383, 32), (16384, 34), (2**21, 36), (2**28, 37), (2**32 - 1, 37)])
def test_ids_round_trip_for_every_varint_width(table_number, length):
    internal = random.Random(table_number).randbytes(16)
    text = DocumentId(table_number, internal).encode()
    assert len(text) == length
    assert decode(text) == DocumentId(table_number, internal)


def test_every_single_character_change_is_caught():
    for position, original in enumerate(STABLE):
        for char in convex_ids.ALPHABET.replace(original, ""):
            with pytest.raises(InvalidId):
                decode(STABLE[:position] + char + STABLE[position + 1:])


@pytest.mark.parametrize("text, why", [
    (STABLE[:-2], "length 30"),
    (STABLE + "00000", "length 37 does not fit"),
    (STABLE.upper(), "not base32"),
    (STABLE[:-1] + "u", "not base32"),  # Crockford leaves out i, l, o, u
    ("sssswsgggggggggsgcsssfafffsffks", "does not fit"),  # Convex's regression case
    (DocumentId(0, bytes(16)).encode(), "table number 0"),
    (12345, "must be a string"),
])
def test_invalid_ids_say_why(text, why):
    with pytest.raises(InvalidId, match=why):
        decode(text)
