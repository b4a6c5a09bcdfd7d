"""pgvector's failure paths on a deployed server: a bad checksum or an unserved version stops
the deploy with a clear error, and the installed build is untouched."""

import pytest

BUILD = "md5sum /usr/lib/postgresql/*/lib/vector.so; cat /usr/lib/postgresql/*/lib/vector.pgdeploy"


@pytest.fixture
def pg1(fleet, deployed):
    return fleet.servers[0]


def test_checksum_mismatch_builds_nothing(fleet, pg1, run_pyinfra, inventory_with):
    before = fleet.ssh(pg1, BUILD).stdout
    run = run_pyinfra("--limit", pg1.name, inventory=inventory_with(pgvector_sha256="0" * 64))
    assert run.rc != 0
    assert f"pgvector source checksum mismatch: expected {'0' * 64}, got 867a2c32" in run.log
    assert fleet.ssh(pg1, BUILD).stdout == before
    assert fleet.ssh(pg1, "ls /var/tmp/pgdeploy-pgvector/*.tar.gz 2>/dev/null").stdout == ""


def test_unserved_version_is_a_clear_error(fleet, pg1, run_pyinfra, inventory_with):
    before = fleet.ssh(pg1, BUILD).stdout
    run = run_pyinfra("--limit", pg1.name, inventory=inventory_with(pgvector_version="0.8.99"))
    assert run.rc != 0
    assert "The requested URL returned error: 404" in run.log
    assert fleet.ssh(pg1, BUILD).stdout == before


def test_build_output_stays_out_of_normal_output(deployed):
    assert "gcc" not in deployed.log and "make[" not in deployed.log
