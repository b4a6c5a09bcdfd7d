"""python -m servers up [SUITE ...] | down | status | demo

  up      boot disposable servers (default: one bookworm; --backup SUITE adds a
          pgBackRest repository host) and write their inventory,
          ssh_config and known_hosts into the run directory (default .servers/)
  down    stop them and remove everything `up` made
  status  list them
  demo    up, then provision with the real pyinfra CLI and verify with the testinfra suite
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from .fleet import Fleet
from .process import is_ours

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_RUN_DIR = PROJECT / ".servers"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m servers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down", "status", "demo"])
    parser.add_argument("suites", nargs="*", default=["bookworm"], help="one database server per suite")
    parser.add_argument("--backup", action="append", default=[], metavar="SUITE",
                        help="also a pgBackRest repository host (repo2 of the servers of its suite)")
    parser.add_argument("--run-dir", type=Path, default=Path(os.environ.get("SERVERS_RUN_DIR", DEFAULT_RUN_DIR)))
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("must run as root (network namespaces, overlay mounts, systemd-nspawn)")
    fleet = Fleet(args.run_dir)
    if args.command == "down":
        fleet.down()
        print("all servers down")
    elif args.command == "status":
        for s in fleet.all:
            print(f"{s.name} {s.address} {s.suite} {'running' if is_ours(s.pid, s.marker) else 'stopped'}")
    else:
        fleet.up(args.suites, args.backup)
        print(f"inventory: {fleet.inventory}\nssh:       ssh -F {fleet.ssh_config} pg1")
        if args.command == "demo":
            return demo(fleet)
    return 0


def demo(fleet: Fleet) -> int:
    """The main job on the embedded defaults: deploy, then verify, as an operator would."""
    bin_dir = Path(sys.executable).parent
    steps = [
        [str(bin_dir / "pyinfra"), "-y", str(PROJECT / "inventories/local.py"), "deploy.py"],
        [str(bin_dir / "pytest"), "-p", "no:cacheprovider", str(PROJECT / "tests/server"),
         f"--hosts={','.join('ssh://' + s.name for s in fleet.all)}", f"--ssh-config={fleet.ssh_config}",
         f"--inventory={PROJECT / 'inventories/local.py'}"],
    ]
    for step in steps:
        print("+", " ".join(step), flush=True)
        rc = subprocess.run(step, cwd=PROJECT).returncode
        if rc != 0:
            return rc
    print(f"\nprovisioned and verified; tear down with: {sys.executable} -m servers down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
