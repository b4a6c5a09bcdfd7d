"""The servers' network: one bridge holding the gateway address, one netns + veth per server."""

from __future__ import annotations

import subprocess

from .paths import BRIDGE, GATEWAY, SUBNET_PREFIX


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def bridge_up() -> None:
    if ip("link", "show", BRIDGE, check=False).returncode != 0:
        ip("link", "add", BRIDGE, "type", "bridge")
        ip("addr", "add", f"{GATEWAY}/24", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")


def bridge_down() -> None:
    ip("link", "del", BRIDGE, check=False)


def address(index: int) -> str:
    return f"{SUBNET_PREFIX}.{10 + index}"


def netns_up(netns: str, veth: str, addr: str) -> None:
    """A network namespace whose eth0 is the far end of a veth pair on the bridge."""
    ip("netns", "add", netns)
    ip("link", "add", veth, "type", "veth", "peer", "name", f"{veth}p")
    ip("link", "set", f"{veth}p", "netns", netns)
    ip("link", "set", veth, "master", BRIDGE, "up")
    inside = ("ip", "netns", "exec", netns, "ip")
    for args in (("link", "set", f"{veth}p", "name", "eth0"),
                 ("addr", "add", f"{addr}/24", "dev", "eth0"),
                 ("link", "set", "eth0", "up"),
                 ("link", "set", "lo", "up"),
                 ("route", "add", "default", "via", GATEWAY)):
        subprocess.run([*inside, *args], check=True, capture_output=True)


def netns_down(netns: str, veth: str) -> None:
    ip("link", "del", veth, check=False)
    ip("netns", "del", netns, check=False)
