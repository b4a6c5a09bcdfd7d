"""Progress of each table's staging: a rich bar with rows per second on a terminal, plain
log lines (every few seconds and at the end of a table) otherwise."""

from __future__ import annotations

import contextlib
import logging
import time

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

log = logging.getLogger("importer")
LOG_EVERY = 5.0  # seconds between plain log lines
REFRESH_EVERY = 0.2  # seconds between bar updates: updating per row would cost more than the row


class TableProgress:
    def __init__(self, name: str, total_bytes: int, bar: Progress | None):
        self.name, self.bar = name, bar
        self.rows = self.bytes = 0
        self.start = self.shown = time.monotonic()
        self.task = bar.add_task(name, total=total_bytes, rate="") if bar else None

    def advance(self, line_bytes: int, rows: int = 1) -> None:
        self.rows += rows
        self.bytes += line_bytes
        now = time.monotonic()
        if now - self.shown >= (REFRESH_EVERY if self.bar else LOG_EVERY):
            self.shown = now
            self._show(now)

    def rate(self, now: float) -> float:
        return self.rows / max(now - self.start, 1e-9)

    def _show(self, now: float) -> None:
        if self.bar:
            self.bar.update(self.task, completed=self.bytes, rate=f"{self.rows:,} rows, {self.rate(now):,.0f} rows/s")
        else:
            log.info("%s: %s rows read (%s rows/s)", self.name, f"{self.rows:,}", f"{self.rate(now):,.0f}")

    def finish(self) -> None:
        now = time.monotonic()
        if self.bar:
            self._show(now)
        else:
            log.info("%s: staged %s rows in %.1f s (%s rows/s)", self.name, f"{self.rows:,}", now - self.start,
                     f"{self.rate(now):,.0f}")


class Reporter:
    def __init__(self, console: Console | None = None):
        # The bar shares stderr with the log; stdout keeps only the summary.
        self.console = console or Console(stderr=True)
        self.terminal = self.console.is_terminal
        self.bar = None

    def __enter__(self):
        if self.terminal:
            self.bar = Progress(TextColumn("{task.description:<14}"), BarColumn(), DownloadColumn(),
                                TextColumn("{task.fields[rate]}"), TimeRemainingColumn(), console=self.console)
            self.bar.start()
        return self

    def __exit__(self, *_):
        if self.bar:
            self.bar.stop()

    @contextlib.contextmanager
    def table(self, name: str, total_bytes: int):
        progress = TableProgress(name, total_bytes, self.bar)
        yield progress
        progress.finish()
