"""Bring a set of disposable servers up and down, and write the client files that reach them.

All state lives in one run directory (state.json, the SSH key, known_hosts, ssh_config and a
pyinfra inventory), so `down` can undo exactly what `up` did, even after a crash.
"""

from __future__ import annotations

import json
import os
import runpy
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from . import image, network, process, proxy
from .paths import PROXY_URL

SUPERVISOR = "servers.supervisor"
PROXY_MARKER = "apt-cacher-ng"
GROUP_DATA = Path(__file__).resolve().parent.parent / "group_data/all.py"


@dataclass
class Server:
    name: str
    suite: str
    address: str
    netns: str
    veth: str
    dir: str
    pid: int = 0

    @property
    def root(self) -> Path:
        return Path(self.dir) / "root"

    @property
    def marker(self) -> str:
        return f"{SUPERVISOR} {self.name} "


class Fleet:
    def __init__(self, run_dir: Path, log=print):
        self.run_dir = Path(run_dir).resolve()
        self.state_file = self.run_dir / "state.json"
        self.log = log
        self.proxy_pid = 0
        self.servers: list[Server] = []  # database servers
        self.backups: list[Server] = []  # pgBackRest repository hosts (the inventory's `backup` group)
        if self.state_file.exists():
            state = json.loads(self.state_file.read_text())
            self.proxy_pid = state["proxy_pid"]
            self.servers = [Server(**s) for s in state["servers"]]
            self.backups = [Server(**s) for s in state.get("backups", [])]

    # -- files the clients use -------------------------------------------------------------
    @property
    def key(self) -> Path:
        return self.run_dir / "id_ed25519"

    @property
    def ssh_config(self) -> Path:
        return self.run_dir / "ssh_config"

    @property
    def known_hosts(self) -> Path:
        return self.run_dir / "known_hosts"

    @property
    def inventory(self) -> Path:
        return self.run_dir / "inventory.py"

    @property
    def secrets(self) -> Path:
        """The servers' role passwords (NAME=value, 0600), generated once per run directory."""
        return self.run_dir / "secrets"

    def _save(self) -> None:
        self.state_file.write_text(json.dumps(
            {"proxy_pid": self.proxy_pid, "servers": [asdict(s) for s in self.servers],
             "backups": [asdict(s) for s in self.backups]}, indent=1))

    @property
    def all(self) -> list[Server]:
        return self.servers + self.backups

    # -- up ----------------------------------------------------------------------------------
    def up(self, suites: list[str], backups: list[str] = ()) -> list[Server]:
        """Boot one database server per entry of `suites` (e.g. ["bookworm", "trixie"]), and one
        repository host per entry of `backups`; each database server whose suite a repository
        host has keeps its repo2 there."""
        if self.all or self.proxy_pid:
            self.down()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        try:
            network.bridge_up()
            self.proxy_pid = proxy.start(self.run_dir)
            self._save()
            images = {suite: image.ensure_image(suite, PROXY_URL, self.log) for suite in dict.fromkeys([*suites, *backups])}
            if not self.key.exists():
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pgdeploy-servers",
                                "-f", str(self.key)], check=True)
            for index, suite in enumerate(suites):
                self.servers.append(self._create(index, f"pg{index + 1}", suite, images[suite]))
                self._save()
            for index, suite in enumerate(backups):
                self.backups.append(self._create(len(suites) + index, f"backup{index + 1}", suite, images[suite]))
                self._save()
            self._write_client_files()
            for server in self.all:
                self._wait_running(server)
        except BaseException:
            for server in self.all:  # the console log is removed with the server: keep its end
                console = Path(server.dir) / "console.log"
                if console.exists():
                    self.log(f"{server.name} console:\n" + console.read_text(errors="replace")[-2000:])
            self.down()
            raise
        self.log(f"{len(self.all)} server(s) up in {time.monotonic() - started:.1f}s: "
                 + ", ".join(f"{s.name}={s.address} ({s.suite})" for s in self.all))
        return self.servers

    def _create(self, index: int, name: str, suite: str, base: Path) -> Server:
        server = Server(name=name, suite=suite, address=network.address(index), netns=f"pgd-{name}",
                        veth=f"pgdv-{name}", dir=str(self.run_dir / "servers" / name))
        layer = Path(server.dir)
        shutil.rmtree(layer, ignore_errors=True)
        for sub in ("upper", "work", "root"):
            (layer / sub).mkdir(parents=True)
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        f"lowerdir={base},upperdir={layer / 'upper'},workdir={layer / 'work'}",
                        str(server.root)], check=True)
        self._identity(server)
        network.netns_up(server.netns, server.veth, server.address)
        log = layer / "console.log"
        server.pid = subprocess.Popen(
            [sys.executable, "-m", SUPERVISOR, name, str(server.root), server.netns, str(log)],
            cwd=Path(__file__).resolve().parent.parent, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True).pid
        return server

    def _identity(self, server: Server) -> None:
        root = server.root
        (root / "etc/machine-id").write_text("")  # systemd generates a fresh one at boot
        subprocess.run(["ssh-keygen", "-A", "-f", str(root)], check=True, capture_output=True)
        (root / "etc/hostname").write_text(f"{server.name}\n")
        (root / "etc/hosts").write_text(f"127.0.0.1 localhost\n{server.address} {server.name}\n")
        ssh_dir = root / "root/.ssh"
        ssh_dir.mkdir(mode=0o700, exist_ok=True)
        (ssh_dir / "authorized_keys").write_text(Path(f"{self.key}.pub").read_text())
        (ssh_dir / "authorized_keys").chmod(0o600)

    def _write_client_files(self) -> None:
        known, config, hosts = [], [], {}
        for s in self.all:
            for pub in sorted((s.root / "etc/ssh").glob("ssh_host_*_key.pub")):
                kind, blob = pub.read_text().split()[:2]
                known.append(f"{s.name},{s.address} {kind} {blob}")
            config.append(f"Host {s.name}\n  HostName {s.address}\n  User root\n"
                          f"  IdentityFile {self.key}\n  IdentitiesOnly yes\n"
                          f"  UserKnownHostsFile {self.known_hosts}\n  StrictHostKeyChecking yes\n")
            hosts[s.name] = (f"    ({s.name!r}, {{'ssh_hostname': {s.address!r}, 'ssh_user': 'root', "
                         f"'ssh_key': {str(self.key)!r}, 'ssh_known_hosts_file': {str(self.known_hosts)!r}, "
                         f"'ssh_strict_host_key_checking': 'yes'}}),")
        if not self.secrets.exists():
            fd = os.open(self.secrets, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                data = runpy.run_path(str(GROUP_DATA))
                names = [*data["password_secrets"].values(), data["backup_cipher_secret"]]
                out.writelines(f"{name}={secrets.token_urlsafe(24)}\n" for name in names)
        self.known_hosts.write_text("\n".join(known) + "\n")
        self.ssh_config.write_text("\n".join(config))
        repo2 = {db.name: next(b.name for b in self.backups if b.suite == db.suite)
                 for db in self.servers if any(b.suite == db.suite for b in self.backups)}
        self.inventory.write_text(
            '"""Generated by `python -m servers up`: the local disposable servers."""\n\n'
            "servers = [\n" + "\n".join(hosts[s.name] for s in self.servers) + "\n]\n"
            "backup = [\n" + "\n".join(hosts[s.name] for s in self.backups) + "\n]\n"
            f"# Each database server's repository host (same suite: pgBackRest's versions must match).\n"
            f"repo2_hosts = {repo2!r}\n")

    def ssh(self, server: Server, command: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(["ssh", "-F", str(self.ssh_config), "-o", "BatchMode=yes",
                               "-o", "ConnectTimeout=5", server.name, command],
                              capture_output=True, text=True, timeout=timeout)

    def _wait_running(self, server: Server) -> None:
        def ssh_port_open() -> bool:
            if not process.is_ours(server.pid, server.marker):
                raise RuntimeError(f"{server.name} exited while booting; see {server.dir}/console.log")
            try:
                with socket.create_connection((server.address, 22), timeout=0.5):
                    return True
            except OSError:
                return False

        if not process.wait_until(ssh_port_open, 60):
            raise RuntimeError(f"{server.name}: SSH did not answer in 60s; see {server.dir}/console.log")
        state = self.ssh(server, "systemctl is-system-running --wait")
        if state.stdout.strip() != "running":
            failed = self.ssh(server, "systemctl --failed --no-legend --plain").stdout
            raise RuntimeError(f"{server.name} booted {state.stdout.strip() or state.stderr.strip()}; "
                               f"failed units:\n{failed}")

    # -- down --------------------------------------------------------------------------------
    def down(self) -> None:
        """Stop every server and the proxy this run started, and remove what `up` made."""
        for server in self.all:
            process.stop(server.pid, server.marker, timeout=60)
            subprocess.run(["umount", str(server.root)], capture_output=True)
            if Path(server.root).is_mount():
                subprocess.run(["umount", "-l", str(server.root)], capture_output=True)
            network.netns_down(server.netns, server.veth)
            shutil.rmtree(server.dir, ignore_errors=True)
        self.servers, self.backups = [], []
        if self.proxy_pid:
            process.stop(self.proxy_pid, PROXY_MARKER, timeout=10)
            self.proxy_pid = 0
        network.bridge_down()
        if self.run_dir.exists():
            self._save()
