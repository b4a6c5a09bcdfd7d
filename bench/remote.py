"""One fresh disposable server, deployed with the real pyinfra CLI, for a benchmark to run
commands on; torn down afterwards, whatever happens."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from servers.fleet import Fleet

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


class Remote:
    def __init__(self, fleet: Fleet):
        self.fleet, self.server = fleet, fleet.servers[0]

    def run(self, command: str, timeout: float = 3600) -> str:
        """The command's stdout; the benchmark stops with its stderr when it fails."""
        proc = self.fleet.ssh(self.server, command, timeout=timeout)
        if proc.returncode != 0:
            sys.exit(f"failed on the server: {command}\n{proc.stderr[-2000:]}")
        return proc.stdout

    def timed(self, command: str) -> float:
        start = time.monotonic()
        self.run(command)
        return time.monotonic() - start


@contextmanager
def deployed_server(suite: str = "bookworm"):
    with tempfile.TemporaryDirectory(prefix="bench-") as run_dir:
        fleet = Fleet(Path(run_dir), log=lambda *_: None)
        try:
            fleet.up([suite])
            deploy = subprocess.run([str(BIN / "pyinfra"), "-y", "inventories/local.py", "deploy.py"], cwd=PROJECT,
                                    capture_output=True, text=True, env={**os.environ, "SERVERS_RUN_DIR": run_dir})
            if deploy.returncode != 0:
                sys.exit(f"deploy failed:\n{deploy.stderr[-3000:]}")
            yield Remote(fleet)
        finally:
            fleet.down()
