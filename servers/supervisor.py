"""Runs one disposable server: systemd-nspawn in its own cgroup, restarted when it reboots.

Started as `python3 -m servers.supervisor NAME ROOT NETNS LOG`. Python reads the whole file
before running it, so editing this file while servers run cannot break them (a shell script
would be re-read mid-run). SIGTERM shuts the server down cleanly and ends the supervisor.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import traceback
from pathlib import Path

REBOOT_EXIT = 133  # systemd-nspawn's exit code when the container rebooted
SHUTDOWN_GRACE = 40  # seconds for a clean poweroff before the container is killed
CGROUP_HIERARCHIES = ("systemd", "unified")


def own_cgroup(name: str) -> list[Path]:
    """Move this process into a cgroup of its own: containers sharing one fight over it."""
    made = []
    for hierarchy in CGROUP_HIERARCHIES:
        base = Path("/sys/fs/cgroup") / hierarchy
        if not base.is_dir():
            continue
        group = base / f"pgdeploy-{name}-{os.getpid()}"
        group.mkdir(exist_ok=True)
        (group / "cgroup.procs").write_text(str(os.getpid()))
        made.append(group)
    return made


def remove_cgroup(group: Path) -> None:
    """Leave the cgroup (a cgroup holding a process cannot be removed), then remove it."""
    (group.parent / "cgroup.procs").write_text(str(os.getpid()))
    for child in sorted((p for p in group.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        try:
            child.rmdir()
        except OSError:
            pass
    try:
        group.rmdir()
    except OSError:
        pass


def nspawn_command(name: str, root: str, netns: str) -> list[str]:
    uptime = int(float(Path("/proc/uptime").read_text().split()[0]))
    # The time namespace starts the server's uptime near 0, as after a real boot.
    return ["unshare", "--time", f"--boottime=-{uptime}",
            "systemd-nspawn", "--boot", f"--directory={root}", f"--machine={name}",
            f"--hostname={name}", "--register=no", "--keep-unit",
            f"--network-namespace-path=/run/netns/{netns}", "--resolv-conf=off",
            "--timezone=off", "--link-journal=no", "--console=read-only"]


def main(name: str, root: str, netns: str, log: str) -> int:
    groups = own_cgroup(name)
    stopping = False
    child: subprocess.Popen | None = None

    def on_term(signum, frame):
        nonlocal stopping
        stopping = True
        if child and child.poll() is None:
            child.terminate()  # nspawn powers the container off cleanly on SIGTERM
            signal.alarm(SHUTDOWN_GRACE)

    def on_alarm(signum, frame):
        if child and child.poll() is None:
            child.kill()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGALRM, on_alarm)
    signal.signal(signal.SIGINT, on_term)
    env = dict(os.environ, SYSTEMD_NSPAWN_UNIFIED_HIERARCHY="1")
    rc = 0
    with open(log, "ab") as out:
        while not stopping:
            child = subprocess.Popen(nspawn_command(name, root, netns), stdout=out, stderr=out,
                                     stdin=subprocess.DEVNULL, env=env)
            rc = child.wait()
            if rc != REBOOT_EXIT:
                break
    for group in groups:
        remove_cgroup(group)
    # nspawn leaves its mount-propagation directory behind.
    shutil.rmtree(f"/run/systemd/nspawn/propagate/{name}", ignore_errors=True)
    return 0 if stopping else rc


if __name__ == "__main__":
    try:
        sys.exit(main(*sys.argv[1:5]))
    except Exception:
        # The harness reports the console log when a server dies: say why there.
        with open(sys.argv[4], "a") as out:
            traceback.print_exc(file=out)
        raise
