"""Processes the harness started: found again by PID and stopped only when they are ours."""

from __future__ import annotations

import os
import signal
import time


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def is_ours(pid: int, marker: str) -> bool:
    """True if `pid` is alive and its command line still carries `marker` (no PID reuse)."""
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode()
    except OSError:
        return False
    return marker in cmdline


def stop(pid: int, marker: str, timeout: float = 30) -> None:
    """SIGTERM, wait, then SIGKILL: only for a PID that is still the process we started."""
    if not is_ours(pid, marker):
        return
    os.kill(pid, signal.SIGTERM)
    if not wait_until(lambda: not is_ours(pid, marker), timeout, 0.05):
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: not is_ours(pid, marker), 5, 0.05)
