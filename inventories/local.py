"""The local disposable servers that `python -m servers up` booted.

Run `python -m servers up` first; it writes the generated host list this file reads. The data
added here is what differs on this machine: downloads go through the harness's proxy, and the
pgvector source is the same upstream tarball as Debian's mirror serves it (the servers cannot
reach the upstream host).
"""

import os
import runpy
from pathlib import Path

from servers.image import apt_mirror
from servers.paths import PROXY_URL

_generated = Path(os.environ.get("SERVERS_RUN_DIR", Path(__file__).resolve().parent.parent / ".servers"))
_generated = _generated / "inventory.py"
if not _generated.exists():
    raise SystemExit(f"no local servers: {_generated} is missing; run `python -m servers up` first")

_local = {
    "http_proxy": PROXY_URL,
    "pgvector_source": apt_mirror() + "/pool/main/p/pgvector/pgvector_{version}.orig.tar.gz",
}
servers = [(name, {**data, **_local}) for name, data in runpy.run_path(str(_generated))["servers"]]
