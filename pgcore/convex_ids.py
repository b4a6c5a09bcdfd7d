"""Convex document ids: decode, validate and encode them.

Convex's own layout (convex-backend, crates/value/src/id_v6.rs and base32.rs):
    base32( varint(table_number) ++ 16 random bytes ++ le16(fletcher16(preceding bytes)) )
The varint is unsigned LEB128 (1 to 5 bytes); Fletcher-16 keeps both sums modulo 256
(wrapping byte adds, not the textbook 255); base32 is Crockford's alphabet in lower case,
most significant bit first, without padding (a partial last group is zero-filled and cut).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_NOT_BASE32 = re.compile(f"[^{ALPHABET}]")
_AS_INT_DIGITS = str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")
INTERNAL_ID_LEN = 16
# One- to five-byte varints, plus the 16 random bytes and the 2-byte footer.
MIN_LEN, MAX_LEN = 31, 37


class InvalidId(ValueError):
    """Not a Convex document id; the message says why."""


@dataclass(frozen=True)
class DocumentId:
    table_number: int
    internal_id: bytes

    def encode(self) -> str:
        body = varint(self.table_number) + self.internal_id
        return base32_encode(body + fletcher16(body).to_bytes(2, "little"))


def encoded_len(byte_len: int) -> int:
    return (byte_len * 8 + 4) // 5


def base32_encode(data: bytes) -> str:
    bits = int.from_bytes(data, "big") << (encoded_len(len(data)) * 5 - len(data) * 8)
    n = encoded_len(len(data))
    return "".join(ALPHABET[(bits >> (5 * (n - 1 - i))) & 31] for i in range(n))


def base32_decode(text: str) -> bytes:
    bad = _NOT_BASE32.search(text)
    if bad:
        raise InvalidId(f"character {bad.group()!r} at position {bad.start()} is not base32")
    if not text:
        return b""
    byte_len = len(text) * 5 // 8
    # int() reads base-32 digits 0-9a-v, MSB first: translated, the whole id is one C call.
    bits = int(text.translate(_AS_INT_DIGITS), 32)
    # Convex ignores the leftover low bits of the last character; so do we.
    return (bits >> (len(text) * 5 - byte_len * 8)).to_bytes(byte_len, "big")


def varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(data: bytes) -> tuple[int, int]:
    """The number at the start of `data` and how many bytes it took."""
    n = 0
    for i, byte in enumerate(data[:5]):
        n |= (byte & 0x7F) << (7 * i)
        if byte < 0x80:
            return n & 0xFFFFFFFF, i + 1  # a u32 in Convex: a fifth byte's high bits fall off
    raise InvalidId("table number is truncated or longer than 5 bytes")


def fletcher16(data: bytes) -> int:
    c0 = c1 = 0
    for byte in data:
        c0 = (c0 + byte) & 0xFF
        c1 = (c1 + c0) & 0xFF
    return c1 << 8 | c0


def decode(text: str) -> DocumentId:
    """The table number and internal id of `text`, or InvalidId."""
    if not isinstance(text, str):
        raise InvalidId(f"must be a string, got {type(text).__name__}")
    if not MIN_LEN <= len(text) <= MAX_LEN:
        raise InvalidId(f"length {len(text)} is not {MIN_LEN} to {MAX_LEN}")
    data = base32_decode(text)
    table_number, used = read_varint(data)
    if table_number == 0:
        raise InvalidId("table number 0")
    if len(data) != used + INTERNAL_ID_LEN + 2:
        raise InvalidId(f"length {len(text)} does not fit a {used}-byte table number")
    body, footer = data[:-2], int.from_bytes(data[-2:], "little")
    if fletcher16(body) != footer:
        raise InvalidId(f"checksum {footer:04x} does not match {fletcher16(body):04x}")
    return DocumentId(table_number, body[used:])
