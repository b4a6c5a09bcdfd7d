"""apt-cacher-ng on the bridge: the servers' only way to packages, cached across runs."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from .paths import CACHE_DIR, GATEWAY, PROXY_PORT
from .process import wait_until

CONFIG = """\
CacheDir: {cache}
LogDir: {logs}
SupportDir: /usr/lib/apt-cacher-ng
Port: {port}
BindAddress: {address}
ForeGround: 1
ExThreshold: 4
"""


def start(run_dir: Path) -> int:
    """Start the proxy with its own config (no remapping: it caches exactly what is asked)."""
    conf = run_dir / "acng"
    (cache := CACHE_DIR / "acng").mkdir(parents=True, exist_ok=True)
    (logs := run_dir / "acng-logs").mkdir(parents=True, exist_ok=True)
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "acng.conf").write_text(CONFIG.format(cache=cache, logs=logs, port=PROXY_PORT, address=GATEWAY))
    with open(logs / "stdout.log", "ab") as out:
        proc = subprocess.Popen(["apt-cacher-ng", "-c", str(conf)], stdout=out, stderr=out,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    if not wait_until(lambda: _answers() or proc.poll() is not None, 15) or proc.poll() is not None:
        raise RuntimeError(f"apt-cacher-ng did not start; see {logs}")
    return proc.pid


def _answers() -> bool:
    try:
        with socket.create_connection((GATEWAY, PROXY_PORT), timeout=0.5):
            return True
    except OSError:
        time.sleep(0.1)
        return False
