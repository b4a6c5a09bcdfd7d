"""Where the harness keeps things. Everything the harness needs to know about this machine."""

import os
from pathlib import Path

# Survives across runs and clones: base images and the apt cache.
CACHE_DIR = Path(os.environ.get("SERVERS_CACHE_DIR", "/var/cache/pgdeploy-servers"))
# One subnet for all disposable servers; the bridge holds .1, servers start at .10.
SUBNET_PREFIX = "10.213.77"
BRIDGE = "pgdbr0"
GATEWAY = f"{SUBNET_PREFIX}.1"
PROXY_PORT = 3142
PROXY_URL = f"http://{GATEWAY}:{PROXY_PORT}"
