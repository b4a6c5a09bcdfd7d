"""Base root filesystems for disposable servers, built once with debootstrap and cached.

An image is keyed by everything that goes into it (suite, packages, mirror, proxy, this
file's recipe version), so a changed input builds a new one and an unchanged one is reused.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from .paths import CACHE_DIR

# Packages every disposable server boots with: enough to be a real, SSH-managed Debian host.
PACKAGES = ("systemd", "systemd-sysv", "dbus", "openssh-server", "iproute2", "sudo",
            "ca-certificates", "python3", "procps")
# Bump when the customisation below changes, so cached images are rebuilt.
RECIPE = 2
SUITES = ("bookworm", "trixie")


def apt_mirror(sources_dir: str = "/etc/apt") -> str:
    """The Debian mirror this machine's own apt uses (never a hard-coded host)."""
    files = sorted(glob.glob(f"{sources_dir}/sources.list.d/*.sources"))
    for path in files:
        text = Path(path).read_text()
        for stanza in re.split(r"\n\s*\n", text):
            uris = re.search(r"^URIs:\s*(\S+)", stanza, re.M)
            suites = re.search(r"^Suites:\s*(.+)$", stanza, re.M)
            if uris and suites and re.search(r"\b(bookworm|trixie)\b(?![-/])", suites.group(1)) \
                    and "security" not in uris.group(1):
                return uris.group(1).rstrip("/")
    for path in [f"{sources_dir}/sources.list", *sorted(glob.glob(f"{sources_dir}/sources.list.d/*.list"))]:
        if os.path.exists(path):
            for line in Path(path).read_text().splitlines():
                m = re.match(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+(bookworm|trixie)\s", line)
                if m and "security" not in m.group(1):
                    return m.group(1).rstrip("/")
    raise RuntimeError("no Debian mirror found in this machine's apt sources")


def apt_relaxations() -> str:
    """This machine's Acquire::Check-* settings, copied into images: its mirror may be a dated snapshot."""
    out = subprocess.run(["apt-config", "dump"], capture_output=True, text=True, check=True).stdout
    lines = [line for line in out.splitlines()
             if re.match(r'^Acquire::(Check-Valid-Until|Check-Date) "', line)]
    return "".join(f"{line}\n" for line in lines)


def image_dir(suite: str, mirror: str, proxy_url: str) -> Path:
    key = json.dumps([suite, PACKAGES, mirror, proxy_url, apt_relaxations(), RECIPE])
    return CACHE_DIR / "images" / f"{suite}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def ensure_image(suite: str, proxy_url: str, log=print) -> Path:
    """Return a ready base image for `suite`, building it when no cached one matches."""
    if suite not in SUITES:
        raise ValueError(f"unsupported suite {suite!r}; choose one of {', '.join(SUITES)}")
    mirror = apt_mirror()
    target = image_dir(suite, mirror, proxy_url)
    if (target / ".complete").exists():
        return target
    log(f"building {suite} base image (debootstrap, about a minute)")
    work = target.with_name(target.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    work.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, http_proxy=proxy_url)
    proc = subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", suite, str(work), mirror],
        env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
        raise RuntimeError(f"debootstrap {suite} failed:\n{tail}")
    _customise(work, suite, mirror, proxy_url)
    (work / ".complete").touch()
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    return target


def _customise(root: Path, suite: str, mirror: str, proxy_url: str) -> None:
    (root / "etc/apt/sources.list").write_text(
        f"deb {mirror} {suite} main\n" + f"deb {mirror} {suite}-updates main\n")
    (root / "etc/apt/apt.conf.d/01proxy").write_text(f'Acquire::http::Proxy "{proxy_url}";\n')
    (root / "etc/apt/apt.conf.d/02relaxations").write_text(apt_relaxations())
    # Per-server identity is written into each server's own layer, never the shared image.
    for path in ("etc/machine-id", "var/lib/dbus/machine-id"):
        (root / path).unlink(missing_ok=True)
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    # Units that fail or make no sense inside a container without consoles or hardware.
    for unit in ("getty@tty1.service", "console-getty.service", "systemd-networkd-wait-online.service"):
        link = root / "etc/systemd/system" / unit
        link.unlink(missing_ok=True)
        link.symlink_to("/dev/null")
    subprocess.run(["chroot", str(root), "apt-get", "clean"], check=True)
