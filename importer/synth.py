"""Synthetic Convex exports, in either value encoding, with valid ids and checksums.

    python -m importer.synth OUT.zip [--users N] [--sessions K] [--messages M]
                             [--encoding uniform|legacy] [--edge-cases] [--seed S]

Bulk documents are all valid (N users, K sessions each, M messages per session). With
--edge-cases, the documents listed in `EDGE_CASES` are added, each declaring whether it should
land and, if not, why; `write` returns those declarations so tests can hold the importer to them.
Documents are generated and written one at a time: any size fits in flat memory.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import random
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy
import orjson

from pgcore.convex_ids import DocumentId
from pgcore.convex_mapping import EMBEDDING_DIMENSIONS
from pgcore.convex_values import UNIFORM_MARKER, Encoding

TABLE_NUMBERS = {"users": 10001, "chat_sessions": 10002, "messages": 10003, "notes": 10004}
START_MS = 1718031234567.891  # a _creationTime with the sub-millisecond part Convex writes
LEGACY_TYPES = {
    "users": "{_creationTime: normalfloat64, _id: string, clerkId: string, email: string, name?: int64 | string, "
             "imageUrl?: string}",
    "chat_sessions": "{_creationTime: normalfloat64, _id: string, userId: string, title: string}",
    "messages": "{_creationTime: normalfloat64, _id: string, sessionId: string, sender: string, "
                "content: bytes | string, embedding?: array<float64 | int64>, tokenCount?: int64}",
    "notes": "{_creationTime: normalfloat64, _id: string, body: string}",
}


@dataclass
class Plan:
    users: int = 3
    sessions: int = 2  # per user
    messages: int = 2  # per session
    encoding: Encoding = Encoding.UNIFORM
    edge_cases: bool = False
    seed: int = 0
    dimensions: int = EMBEDDING_DIMENSIONS


@dataclass
class Expected:
    """What the generator meant each document to do: (table, line) -> reason, for those that
    must be rejected; every other document must land."""
    rejected: dict[tuple[str, int], str] = field(default_factory=dict)
    documents: dict[str, int] = field(default_factory=dict)  # table -> documents written


class Generator:
    def __init__(self, plan: Plan, vectors: bool = True):
        self.plan = plan
        self.rng = random.Random(plan.seed)
        # Embeddings come from their own stream, so a pass that writes no messages can skip
        # them and still give every other document the same ids and times.
        self.vectors = numpy.random.default_rng(plan.seed) if vectors else None
        self.clock = START_MS
        # The legacy encoding's per-document export contexts, by _id, as Convex writes them
        # after the type string in generated_schema.jsonl where the shape is ambiguous.
        self.overrides: dict[str, dict] = {}

    def new_id(self, table: str) -> str:
        return DocumentId(TABLE_NUMBERS[table], self.rng.randbytes(16)).encode()

    def tick(self) -> float:
        # Whole milliseconds plus a varying fraction, as Convex's clock gives.
        self.clock += 1 + self.rng.randrange(1000) / 1000
        return round(self.clock, 3)

    def vector(self) -> list[float]:
        if self.vectors is None:
            return [0.0] * self.plan.dimensions
        return self.vectors.uniform(-1, 1, self.plan.dimensions).tolist()

    def int64(self, n: int):
        return n if self.plan.encoding is Encoding.UNIFORM else str(n)

    def bytes_value(self, data: bytes):
        text = base64.b64encode(data).decode()
        return {"$bytes": text} if self.plan.encoding is Encoding.UNIFORM else text

    def non_finite(self, value: float):
        if self.plan.encoding is Encoding.UNIFORM:
            return {"$float": base64.b64encode(struct.pack("<d", value)).decode()}
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")

    def context(self, value: float | str) -> object:
        """The export context of a legacy value whose string is ambiguous."""
        if value == "int64" or value == "bytes":
            return value
        if value != value:
            return {"$float64NaN": base64.b64encode(struct.pack("<d", value)).decode()}
        return "float64inf"

    def hint(self, doc: dict, field: str, context, index: int | None = None) -> None:
        """Record `doc[field]` (or its element `index`) as needing `context` in the legacy encoding."""
        if self.plan.encoding is Encoding.UNIFORM:
            return
        fields = self.overrides.setdefault(doc["_id"], {})
        if index is None:
            fields[field] = context
        else:
            elements = fields.setdefault(field, ["infer"] * len(doc[field]))
            elements[index] = context

    def user(self, n: int, **fields) -> dict:
        return {"_id": self.new_id("users"), "_creationTime": self.tick(), "clerkId": f"user_{n}",
                "email": f"user{n}@example.test", "name": f"User {n}", "imageUrl": f"https://img.example.test/{n}.png",
                **fields}

    def session(self, user_id: str, n: int, **fields) -> dict:
        return {"_id": self.new_id("chat_sessions"), "_creationTime": self.tick(), "userId": user_id,
                "title": f"Session {n}", **fields}

    def message(self, session_id: str, n: int, **fields) -> dict:
        return {"_id": self.new_id("messages"), "_creationTime": self.tick(), "sessionId": session_id,
                "sender": "user" if n % 2 == 0 else "assistant", "content": f"message {n}",
                "embedding": self.vector(), "tokenCount": self.int64(n), **fields}


def _bulk(gen: Generator, plan: Plan) -> Iterator[tuple[str, dict, str | None]]:
    """(table, document, expected rejection) for the valid bulk, parents before children."""
    for u in range(plan.users):
        user = gen.user(u)
        yield "users", user, None
        for s in range(plan.sessions):
            session = gen.session(user["_id"], s)
            yield "chat_sessions", session, None
            for m in range(plan.messages):
                yield "messages", gen.message(session["_id"], m), None


def _edge_cases(gen: Generator) -> Iterator[tuple[str, dict | bytes, str | None]]:
    """Each edge case with the rejection it must get (None: it must land)."""
    owner = gen.user(900, name="Zoë 🚀 Ångström")
    del owner["imageUrl"]  # optional fields are absent when unset
    yield "users", owner, None
    later = gen.user(901, email="shared@example.test")
    earlier_time = owner["_creationTime"] - 0.5  # earlier than every other edge-case user
    earlier = gen.user(902, email="shared@example.test", _creationTime=earlier_time)
    yield "users", later, "duplicate_email"  # first in the file, but created later
    yield "users", earlier, None
    yield "users", gen.user(903, clerkId="user_900"), "duplicate_external_id"
    numbered = gen.user(906, name=gen.int64(12345))  # an int64 in the field, not a string
    gen.hint(numbered, "name", "int64")
    yield "users", numbered, "bad_type"
    no_email = gen.user(904)
    del no_email["email"]
    yield "users", no_email, "missing_field"
    bad_checksum = gen.user(905)
    bad_checksum["_id"] = bad_checksum["_id"][:-1] + ("0" if bad_checksum["_id"][-1] != "0" else "1")
    yield "users", bad_checksum, "bad_id"
    yield "users", b'{"_id": "not json\n', "bad_json"

    chat = gen.session(owner["_id"], 900, title="Émoji 💬 chat")
    yield "chat_sessions", chat, None
    yield "chat_sessions", gen.session(owner["_id"], 901, title="x" * 256), "too_long"
    yield "chat_sessions", gen.session(owner["_id"], 902, title="y" * 255), None
    yield "chat_sessions", gen.session(gen.new_id("users"), 903), "dangling_reference"
    yield "chat_sessions", gen.session(chat["_id"], 904), "wrong_table_reference"
    orphan = gen.session(later["_id"], 905)  # its user lost the duplicate-email race
    yield "chat_sessions", orphan, "dangling_reference"
    orphan_of_invalid = gen.session(no_email["_id"], 906)
    yield "chat_sessions", orphan_of_invalid, "dangling_reference"
    yield "chat_sessions", chat, "duplicate_id"

    yield "messages", gen.message(chat["_id"], 900, content="é" * (1 << 20)), None  # a 1 MB message
    unembedded = gen.message(chat["_id"], 901, content="no embedding 🙂")
    del unembedded["embedding"]
    yield "messages", unembedded, None
    integral = gen.message(chat["_id"], 902)
    integral["embedding"][0] = gen.int64(3)  # an int64 element: a string in the legacy encoding
    gen.hint(integral, "embedding", "int64", index=0)
    yield "messages", integral, None
    yield "messages", gen.message(chat["_id"], 913, content="12345"), None  # no override: a string stays one
    binary = gen.message(chat["_id"], 914, content=gen.bytes_value(b"\x00\x01 not text"))
    gen.hint(binary, "content", "bytes")
    yield "messages", binary, "bad_type"
    misfit = gen.message(chat["_id"], 915)  # an override that does not fit its value
    gen.hint(misfit, "sender", "int64")
    yield "messages", misfit, "bad_value" if gen.plan.encoding is Encoding.LEGACY else None
    yield "messages", gen.message(chat["_id"], 903, sender="system"), "bad_sender"
    yield "messages", gen.message(chat["_id"], 904, embedding=gen.vector()[:-1]), "bad_embedding"
    not_finite = gen.message(chat["_id"], 905)
    not_finite["embedding"][7] = gen.non_finite(float("nan"))
    gen.hint(not_finite, "embedding", gen.context(float("nan")), index=7)
    yield "messages", not_finite, "bad_embedding"
    infinite = gen.message(chat["_id"], 906)
    infinite["embedding"][8] = gen.non_finite(float("inf"))
    gen.hint(infinite, "embedding", gen.context(float("inf")), index=8)
    yield "messages", infinite, "bad_embedding"
    yield "messages", gen.message(chat["_id"], 907, embedding=[1e39] * gen.plan.dimensions), "bad_embedding"
    yield "messages", gen.message(chat["_id"], 908, content="nul \x00 inside"), "bad_string"
    no_content = gen.message(chat["_id"], 909)
    del no_content["content"]
    yield "messages", no_content, "missing_field"
    yield "messages", gen.message(orphan["_id"], 910), "dangling_reference"  # cascades two levels
    yield "messages", gen.message(owner["_id"], 911), "wrong_table_reference"
    edge_ms = gen.message(chat["_id"], 912, _creationTime=float(int(gen.tick())) + 0.9998)
    yield "messages", edge_ms, None  # must not round into the next millisecond


def write(path: str, plan: Plan) -> Expected:
    gen = Generator(plan)
    expected = Expected()
    tables = ("users", "chat_sessions", "messages")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("README.md", "# Welcome to your Convex snapshot export!\n")
        archive.writestr("_tables/documents.jsonl", "".join(
            json.dumps({"name": name, "id": number}) + "\n" for name, number in TABLE_NUMBERS.items()))
        archive.writestr("notes/generated_schema.jsonl", json.dumps(_marker(plan, "notes")) + "\n")
        archive.writestr("notes/documents.jsonl", orjson.dumps(
            {"_id": gen.new_id("notes"), "_creationTime": gen.tick(), "body": "not imported"}) + b"\n")
        archive.writestr("_storage/documents.jsonl", b"")
        archive.writestr("_components/ratelimiter/limits/documents.jsonl", b"")
        for table in tables:
            # Each table is generated again from the same seed: a generator per table keeps ids
            # consistent across tables without holding any table in memory.
            expected.documents[table], overrides = _write_table(archive, table, plan, expected)
            # The type string, then (legacy) one override line per document that needs one.
            archive.writestr(f"{table}/generated_schema.jsonl", b"".join(
                [orjson.dumps(_marker(plan, table)) + b"\n"]
                + [orjson.dumps({convex_id: context}) + b"\n" for convex_id, context in overrides.items()]))
    return expected


def _marker(plan: Plan, table: str) -> str:
    return UNIFORM_MARKER if plan.encoding is Encoding.UNIFORM else LEGACY_TYPES[table]


def _write_table(archive: zipfile.ZipFile, table: str, plan: Plan, expected: Expected) -> tuple[int, dict]:
    gen = Generator(plan, vectors=table == "messages")
    cases = itertools.chain(_bulk(gen, plan), _edge_cases(gen) if plan.edge_cases else ())
    line, overrides = 0, {}
    with archive.open(f"{table}/documents.jsonl", "w", force_zip64=True) as out:
        for doc_table, doc, reason in cases:
            if doc_table != table:
                continue
            line += 1
            out.write((doc if isinstance(doc, bytes) else orjson.dumps(doc) + b"\n"))
            if reason:
                expected.rejected[(table, line)] = reason
            if isinstance(doc, dict) and doc["_id"] in gen.overrides:
                overrides[doc["_id"]] = gen.overrides[doc["_id"]]
    return line, overrides


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m importer.synth", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="the ZIP to write")
    parser.add_argument("--users", type=int, default=Plan.users)
    parser.add_argument("--sessions", type=int, default=Plan.sessions, help="per user")
    parser.add_argument("--messages", type=int, default=Plan.messages, help="per session")
    parser.add_argument("--encoding", choices=[e.value for e in Encoding], default=Encoding.UNIFORM.value)
    parser.add_argument("--edge-cases", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    plan = Plan(args.users, args.sessions, args.messages, Encoding(args.encoding), args.edge_cases, args.seed)
    expected = write(args.out, plan)
    print(f"{args.out}: " + ", ".join(f"{n:,} {t}" for t, n in expected.documents.items())
          + f"; {len(expected.rejected)} meant to be rejected")


if __name__ == "__main__":
    main()
