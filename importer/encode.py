"""Documents into binary COPY rows of their staging table, in this process or in worker
processes, with exactly the same result either way.

Inflating and parsing ~30 KB of JSON per message is what bounds the import (the database takes
rows several times faster than one Python process can make them). Rows are encoded straight
into binary COPY bytes (importer.wire), without psycopg's per-value adaptation, and with
workers a large table is split into blocks of whole lines that worker processes encode while
this process inflates the ZIP and COPYs the finished bytes on, in order. At most `IN_FLIGHT_PER_WORKER` blocks per worker are out at a time, so memory
stays flat; each line is encoded on its own, so neither the rows, the rejects nor their order
depend on how the lines were split or how many workers there were."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import orjson

from pgcore.convex_mapping import Converter, Mapping, Rejected, row_id_bytes
from pgcore.convex_values import Encoding

from . import staging, wire
from .export import Export

IN_FLIGHT_PER_WORKER = 2  # enough to keep each worker busy while its last block is copied
PARALLEL_BYTES = 32 << 20  # smaller tables are encoded here: starting workers would cost more
_CANDIDATE, _INVALID = b"candidate", b"invalid"


def default_workers() -> int:
    """One worker per CPU but one: this process needs about a CPU of its own to inflate the
    ZIP (one deflate stream per table, so it cannot be shared), and next to it workers only
    pay off on a third CPU. On one or two CPUs the lines are parsed here, as the inflating
    thread runs beside (measured on two shared CPUs: two workers within a few percent of
    none, either way, while the database server needs a share of the same CPUs)."""
    cpus = len(os.sched_getaffinity(0))
    return cpus - 1 if cpus > 2 else 1


@dataclass
class Rejection:
    line: int
    convex_id: str | None
    reason: str
    detail: str
    document: object  # the parsed document, or the line as text when it is not JSON


@dataclass
class Batch:
    """Encoded rows of consecutive lines, and what the main process must do with them."""
    payload: bytearray = field(default_factory=bytearray)
    rows: int = 0
    size: int = 0  # bytes of JSON lines read, for progress
    rejected: list[Rejection] = field(default_factory=list)
    # Unknown field names, in document order, each the first time this batch sees it.
    unknown: list[set[str]] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set, repr=False)


class LineEncoder:
    """One table's documents as staging rows: a candidate row, or an "invalid" row that keeps
    the document's id and line, so that the database counts it and a child can say its parent
    failed."""

    def __init__(self, mapping: Mapping, target: str, encoding: Encoding, table_numbers: dict[str, int],
                 overrides: dict[str, object] | None = None):
        self.converter = Converter(mapping, target, encoding, table_numbers, overrides)
        self.blank = staging.blank_row(target)

    def add(self, batch: Batch, number: int, line: bytes) -> None:
        batch.rows += 1
        batch.size += len(line) + 1
        rejected = None
        try:
            doc = orjson.loads(line)
            fields = self.converter.wire(doc)
            batch.payload += wire.row([*fields, wire.int4(number), _CANDIDATE, None, None])
        except orjson.JSONDecodeError as error:
            doc, rejected = bytes(line).decode("utf-8", "replace"), Rejected("bad_json", str(error))
        except Rejected as error:
            rejected = error
        if rejected is not None:
            convex_id = doc.get("_id") if isinstance(doc, dict) else None
            convex_id = convex_id if isinstance(convex_id, str) else None
            batch.payload += wire.row([row_id_bytes(convex_id) if convex_id else None, wire.text(convex_id),
                                       None, None, *self.blank, wire.int4(number), _INVALID,
                                       rejected.reason.encode(), rejected.detail.encode()])
            batch.rejected.append(Rejection(number, convex_id, rejected.reason, rejected.detail, doc))
        if isinstance(doc, dict) and (new := self.converter.unknown_fields(doc) - batch._seen):
            batch.unknown.append(new)
            batch._seen |= new

    def encode(self, first: int, data: bytes) -> Batch:
        """A block of whole lines (`Export.chunks`), its first line numbered `first`; blank
        lines count for numbering, as in `Export.lines`."""
        batch = Batch()
        view, start, number = memoryview(data), 0, first
        # Lines are views into the block, not copies: orjson parses a memoryview as it is.
        while start < len(data):
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            line = view[start:end]
            if line and (line[0] == 0x7B or bytes(line).strip()):  # 0x7B "{": not blank, no need to look
                self.add(batch, number, line)
            start, number = end + 1, number + 1
        return batch


def serial(encoder: LineEncoder, lines: Iterable[tuple[int, bytes]], block_bytes: int) -> Iterator[Batch]:
    """Batches of about `block_bytes` of rows, encoded in this process."""
    batch = Batch()
    for number, line in lines:
        encoder.add(batch, number, line)
        if len(batch.payload) >= block_bytes:
            yield batch
            batch = Batch()
    if batch.rows:
        yield batch


class Workers:
    """A pool of encoding processes for one import. forkserver, not fork: the importer has
    threads (the inflater), and a forked child could inherit a lock one of them held."""

    def __init__(self, count: int, mapping: Mapping, table_numbers: dict[str, int],
                 overrides: dict[str, dict[str, object]]):
        self.count = count
        context = multiprocessing.get_context("forkserver")
        # The server imports the encoder once; each worker forked from it starts with it loaded.
        context.set_forkserver_preload(["importer.encode"])
        self.pool = concurrent.futures.ProcessPoolExecutor(
            count, mp_context=context,
            initializer=_start_worker, initargs=(mapping, table_numbers, overrides))

    def batches(self, export: Export, source: str, target: str, encoding: Encoding) -> Iterator[Batch]:
        """The table's batches, in file order, encoded by the workers."""
        pending: deque[concurrent.futures.Future] = deque()
        try:
            for first, data in export.chunks(f"{source}/documents.jsonl"):
                pending.append(self.pool.submit(_encode, target, encoding, first, data))
                if len(pending) >= self.count * IN_FLIGHT_PER_WORKER:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()


_worker: dict = {}


def _start_worker(mapping: Mapping, table_numbers: dict[str, int], overrides: dict[str, dict[str, object]]) -> None:
    _worker.update(mapping=mapping, table_numbers=table_numbers, overrides=overrides, encoders={})


def _encode(target: str, encoding: Encoding, first: int, data: bytes) -> Batch:
    encoders = _worker["encoders"]
    if (target, encoding) not in encoders:
        encoders[target, encoding] = LineEncoder(_worker["mapping"], target, encoding, _worker["table_numbers"],
                                                 _worker["overrides"].get(target))
    return encoders[target, encoding].encode(first, data)
