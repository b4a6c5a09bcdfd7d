"""The disposable servers behave like real ones."""

import pytest


@pytest.fixture(scope="module")
def ssh(fleet):
    def run(server, command):
        result = fleet.ssh(server, command)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()
    return run


def test_systemd_is_pid1_and_running(fleet, ssh):
    for server in fleet.all:
        assert ssh(server, "cat /proc/1/comm") == "systemd"
        assert ssh(server, "systemctl is-system-running") == "running"


def test_each_server_has_its_own_identity(fleet, ssh):
    seen = set()
    for server in fleet.all:
        identity = ssh(server, "hostname; cat /etc/machine-id; ip -4 -o addr show eth0")
        name, machine_id, addr = identity.splitlines()
        assert name == server.name
        assert f"{server.address}/24" in addr
        seen.add(machine_id)
    assert len(seen) == len(fleet.all)


def test_suites(fleet, ssh):
    versions = {s.suite: ssh(s, ". /etc/os-release; echo $VERSION_CODENAME") for s in fleet.servers}
    assert versions == {"bookworm": "bookworm", "trixie": "trixie"}


def test_servers_reach_each_other(fleet, ssh):
    first, second = fleet.servers[:2]
    ssh(first, f"timeout 3 bash -c 'exec 3<>/dev/tcp/{second.address}/22 && head -c 4 <&3'")


def test_uptime_starts_near_zero(fleet, ssh):
    for server in fleet.all:
        assert float(ssh(server, "cut -d' ' -f1 /proc/uptime")) < 600


def test_pyinfra_reboot_comes_back(fleet, ssh, run_pyinfra):
    server = fleet.servers[0]
    before = ssh(server, "cat /proc/sys/kernel/random/boot_id")
    run = run_pyinfra("--limit", server.name, deploy="tests/e2e/deploys/reboot.py")
    assert run.rc == 0, run.log[-2000:]
    assert ssh(server, "cat /proc/sys/kernel/random/boot_id") != before
    assert ssh(server, "systemctl is-system-running --wait") == "running"
