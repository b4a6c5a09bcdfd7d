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
from servers.paths import GATEWAY, PROXY_URL

_generated = Path(os.environ.get("SERVERS_RUN_DIR", Path(__file__).resolve().parent.parent / ".servers"))
_generated = _generated.resolve() / "inventory.py"
if not _generated.exists():
    raise SystemExit(f"no local servers: {_generated} is missing; run `python -m servers up` first")

_local = {
    "http_proxy": PROXY_URL,
    # Random passwords that `python -m servers up` wrote for these servers (mode 0600).
    "secrets_file": str(_generated.parent / "secrets"),
    "pgvector_source": apt_mirror() + "/pool/main/p/pgvector/pgvector_{version}.orig.tar.gz",
}
# The servers listen on their own address; the login roles may connect from this machine
# (the bridge's address) only, so another server on the bridge is a client that is refused.
_clients = {kind: [f"{GATEWAY}/32"] for kind in ("migrator", "app", "readonly")}
_hosts = runpy.run_path(str(_generated))
servers = [(name, {**data, **_local, "postgres_listen_addresses": ["localhost", data["ssh_hostname"]],
                   "app_clients": _clients, "backup_repo2_host": _hosts["repo2_hosts"].get(name)})
           for name, data in _hosts["servers"]]
# pgBackRest repository hosts (`up --backup SUITE`): repo2 of the servers of their suite.
backup = [(name, {**data, **_local}) for name, data in _hosts["backup"]]
