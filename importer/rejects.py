"""The rejects file: one JSON line per document that could not land, with its reason."""

from __future__ import annotations

import orjson


class Rejects:
    def __init__(self, path: str):
        self.path = path
        self._file = open(path, "wb")  # a re-run starts it afresh, as it re-decides every document

    def write(self, table: str, line: int, convex_id: str | None, reason: str, detail: str, document) -> None:
        record = {"table": table, "line": line, "_id": convex_id, "reason": reason, "detail": detail,
                  "document": document}
        self._file.write(orjson.dumps(record) + b"\n")

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()
