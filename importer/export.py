"""Reading a Convex export ZIP (convex-backend, crates/exports): `_tables/documents.jsonl`
lists every table and its number; each `<table>/documents.jsonl` holds one document per line
and `<table>/generated_schema.jsonl` announces its value encoding. `_storage/` (files) and
`_components/<name>/` (other components' tables) are reported, never imported."""

from __future__ import annotations

import contextlib
import queue
import struct
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator

import orjson
from isal import isal_zlib

from pgcore.convex_ids import InvalidId, decode
from pgcore.convex_values import BadValue, Encoding, detect, override

TABLES = "_tables/documents.jsonl"
BLOCK_BYTES = 1 << 20
QUEUED_BLOCKS = 8  # bounds the memory the inflating thread may run ahead by


class ExportError(Exception):
    """The file is not a readable Convex export; the message is one line."""


class Export:
    def __init__(self, path: str):
        self.path = path
        try:
            self.zip = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise ExportError(f"{path}: no such file") from None
        except (zipfile.BadZipFile, OSError) as error:
            raise ExportError(f"{path} is not a ZIP file ({error})") from None
        self.names = set(self.zip.namelist())
        try:
            if TABLES not in self.names:
                raise ExportError(f"{path} is not a Convex export: it has no {TABLES}")
            self.table_numbers = self._table_numbers()
        except ExportError:
            self.zip.close()
            raise

    def _table_numbers(self) -> dict[str, int]:
        numbers = {}
        for number, line in self.lines(TABLES):
            try:
                entry = orjson.loads(line)
                numbers[entry["name"]] = int(entry["id"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                raise ExportError(f"{self.path}: {TABLES} line {number} is not "
                                  f'{{"name": ..., "id": ...}}') from None
        return numbers

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.zip.close()

    def has_table(self, table: str) -> bool:
        return f"{table}/documents.jsonl" in self.names

    def size(self, table: str) -> int:
        """Uncompressed bytes of the table's documents, for progress."""
        return self.zip.getinfo(f"{table}/documents.jsonl").file_size

    def encoding(self, table: str) -> Encoding:
        name = f"{table}/generated_schema.jsonl"
        if name not in self.names:
            raise ExportError(f"{self.path}: {name} is missing, so its value encoding is unknown")
        first = next((line for _, line in self.lines(name)), b"")
        try:
            return detect(orjson.loads(first))
        except (orjson.JSONDecodeError, BadValue) as error:
            raise ExportError(f"{self.path}: {name}: {error}") from None

    def overrides(self, table: str, fields: frozenset[str]) -> dict[str, object]:
        """The legacy encoding's per-document export contexts (pgcore.convex_values.override),
        by _id, cut down to `fields`: the rest of a document is never read, so a context that
        touches nothing else is dropped, and memory holds only what can change an import."""
        if self.encoding(table) is not Encoding.LEGACY:
            return {}
        name, found = f"{table}/generated_schema.jsonl", {}
        for number, line in self.lines(name):
            if number == 1:
                continue  # the type string
            try:
                convex_id, context = override(orjson.loads(line))
                decode(convex_id)
            except (orjson.JSONDecodeError, BadValue, InvalidId) as error:
                raise ExportError(f"{self.path}: {name} line {number}: {error}") from None
            if isinstance(context, dict) and "$float64NaN" not in context:
                context = {field: hint for field, hint in context.items() if field in fields and hint != "infer"}
                if not context:
                    continue
            elif context == "infer":
                continue
            found[convex_id] = context
        return found

    def lines(self, name: str) -> Iterator[tuple[int, bytes]]:
        """(line number, line) for each non-blank line, streamed: memory stays flat."""
        number, rest = 0, b""
        with contextlib.closing(self._blocks(name)) as blocks:
            for block in blocks:
                lines = (rest + block).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    number += 1
                    if line.strip():
                        yield number, line
        if rest.strip():
            yield number + 1, rest

    def chunks(self, name: str) -> Iterator[tuple[int, bytes]]:
        """(number of its first line, block of whole lines), about BLOCK_BYTES each, streamed:
        the lines of `lines()`, blank ones included, for a worker to split and number."""
        number, rest = 1, bytearray()
        with contextlib.closing(self._blocks(name)) as blocks:
            for block in blocks:
                cut = block.rfind(b"\n") + 1
                if not cut:  # a line longer than a block: keep gathering it
                    rest += block
                    continue
                chunk = bytes(rest) + block[:cut] if rest else block[:cut]
                rest = bytearray(block[cut:])
                yield number, chunk
                number += chunk.count(b"\n")
        if rest:
            yield number, bytes(rest)

    def _blocks(self, name: str) -> Iterator[bytes]:
        """The entry's inflated bytes, block by block.

        A thread inflates the entry: inflating releases the GIL, so it overlaps parsing."""
        blocks: queue.Queue = queue.Queue(maxsize=QUEUED_BLOCKS)
        stop = threading.Event()
        reader = threading.Thread(target=self._inflate, args=(name, blocks, stop), daemon=True)
        reader.start()
        try:
            while (block := blocks.get()) is not None:
                if isinstance(block, BaseException):
                    raise ExportError(f"{self.path}: {name}: {block}")
                yield block
        finally:
            stop.set()
            reader.join()

    def _inflate(self, name: str, blocks: queue.Queue, stop: threading.Event) -> None:
        def put(item) -> None:
            while not stop.is_set():
                try:
                    return blocks.put(item, timeout=0.1)
                except queue.Full:
                    pass
        try:
            for block in self._entry_blocks(self.zip.getinfo(name)):
                if stop.is_set():
                    return
                put(block)
            put(None)
        except (OSError, zipfile.BadZipFile, isal_zlib.error, ExportError) as error:
            put(error)

    def _entry_blocks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The entry's bytes, inflated with ISA-L (about 2.5x zlib's speed) and CRC-checked.

        zipfile's central directory gives where the entry starts, its sizes and CRC; Convex
        writes deflate, and anything else is left to zipfile."""
        if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
            with self.zip.open(info) as raw:
                while block := raw.read(BLOCK_BYTES):
                    yield block
            return
        with open(self.path, "rb") as handle:
            handle.seek(info.header_offset)
            header = handle.read(30)
            if header[:4] != b"PK\x03\x04":
                raise ExportError(f"bad local header for {info.filename}")
            name_len, extra_len = struct.unpack("<HH", header[26:30])
            handle.seek(info.header_offset + 30 + name_len + extra_len)
            inflater, crc, remaining = isal_zlib.decompressobj(-15), 0, info.compress_size
            while remaining:
                chunk = handle.read(min(remaining, BLOCK_BYTES // 4))
                if not chunk:
                    raise ExportError(f"{info.filename} is truncated")
                remaining -= len(chunk)
                # max_length bounds each block: a highly compressed run cannot balloon memory.
                while chunk:
                    block = inflater.decompress(chunk, BLOCK_BYTES)
                    crc = isal_zlib.crc32(block, crc)
                    yield block
                    chunk = inflater.unconsumed_tail
            block = inflater.flush()
            crc = isal_zlib.crc32(block, crc)
            yield block
        if crc != info.CRC:
            raise ExportError(f"{info.filename} fails its CRC check: the ZIP is damaged")

    def documents(self, table: str) -> Iterator[tuple[int, bytes]]:
        return self.lines(f"{table}/documents.jsonl")

    def not_imported(self, imported: set[str]) -> list[str]:
        """One line for each part of the export that the import leaves alone."""
        found = [f"table {name!r} ({self.size(name):,} bytes of documents)"
                 for name in sorted(self.table_numbers) if name not in imported and self.has_table(name)]
        storage = [n for n in self.names if n.startswith("_storage/") and n != "_storage/documents.jsonl"]
        if storage:
            found.append(f"_storage: {len(storage)} stored files")
        components = Counter(n.split("/")[1] for n in self.names if n.startswith("_components/") and n.count("/") > 1)
        found += [f"component {name!r} ({count} files)" for name, count in sorted(components.items())]
        return found
