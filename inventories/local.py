"""The local disposable servers that `python -m servers up` booted.

Run `python -m servers up` first; it writes the generated host list this file reads.
"""

import os
import runpy
from pathlib import Path

_generated = Path(os.environ.get("SERVERS_RUN_DIR", Path(__file__).resolve().parent.parent / ".servers"))
_generated = _generated / "inventory.py"
if not _generated.exists():
    raise SystemExit(f"no local servers: {_generated} is missing; run `python -m servers up` first")
servers = runpy.run_path(str(_generated))["servers"]
