"""A changed pinned pgvector version rebuilds, installs and updates the extension in place.

Only one real pgvector release is reachable here (0.8.0), so the newer one is made from it on
the control machine: the same source relabelled 0.8.99 with an (empty) upgrade script, which
is exactly what ALTER EXTENSION UPDATE needs. It reaches the server through the upload path.
This module runs last: it leaves its server on the test version.
"""

import hashlib
import io
import tarfile
import urllib.request

import pytest

from servers.image import apt_mirror
from servers.paths import CACHE_DIR

UPSTREAM = ("0.8.0", "867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0")
TEST_VERSION = "0.8.99"


def upstream_tarball() -> bytes:
    """The 0.8.0 release, fetched once on the control machine and cached."""
    version, sha256 = UPSTREAM
    cached = CACHE_DIR / "downloads" / f"pgvector_{version}.orig.tar.gz"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        url = f"{apt_mirror()}/pool/main/p/pgvector/pgvector_{version}.orig.tar.gz"
        cached.write_bytes(urllib.request.urlopen(url, timeout=60).read())
    data = cached.read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256
    return data


def relabelled(data: bytes, version: str) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data)) as src, tarfile.open(fileobj=out, mode="w:gz") as dst:
        top = src.getmembers()[0].name.split("/")[0]
        for member in src.getmembers():
            content = src.extractfile(member).read() if member.isfile() else None
            if member.name in (f"{top}/Makefile", f"{top}/vector.control"):
                content = content.replace(UPSTREAM[0].encode(), version.encode())
                member.size = len(content)
            dst.addfile(member, io.BytesIO(content) if content is not None else None)
        script = f"-- test-only upgrade {UPSTREAM[0]} -> {version}: no changes\n".encode()
        info = tarfile.TarInfo(f"{top}/sql/vector--{UPSTREAM[0]}--{version}.sql")
        info.size = len(script)
        dst.addfile(info, io.BytesIO(script))
    return out.getvalue()


@pytest.fixture(scope="module")
def newer_source(tmp_path_factory):
    data = relabelled(upstream_tarball(), TEST_VERSION)
    path = tmp_path_factory.mktemp("pgvector") / f"pgvector-{TEST_VERSION}.tar.gz"
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def test_version_change_rebuilds_and_updates_the_extension(fleet, deployed, run_pyinfra, inventory_with,
                                                           newer_source):
    server = fleet.servers[-1]
    path, sha256 = newer_source
    inventory = inventory_with(pgvector_version=TEST_VERSION, pgvector_sha256=sha256, pgvector_source=str(path))
    run = run_pyinfra("--limit", server.name, inventory=inventory)
    assert run.rc == 0, run.log[-3000:]
    assert run.changed >= 1
    version = fleet.ssh(server, "runuser -u postgres -- psql -XAt -d chat -c "
                                "\"SELECT extversion FROM pg_extension WHERE extname = 'vector'\"")
    assert version.stdout.strip() == TEST_VERSION, version.stderr
    again = run_pyinfra("--limit", server.name, inventory=inventory)
    assert (again.rc, again.changed) == (0, 0), again.log[-2000:]


def test_local_file_with_wrong_checksum_is_refused_before_upload(fleet, deployed, run_pyinfra, inventory_with,
                                                                 newer_source):
    server = fleet.servers[-1]
    path, _ = newer_source
    run = run_pyinfra("--limit", server.name, inventory=inventory_with(
        pgvector_version="0.8.98", pgvector_sha256="1" * 64, pgvector_source=str(path)))
    assert run.rc != 0
    assert f"sha256 {newer_source[1]}, expected {'1' * 64}" in run.log
    assert fleet.ssh(server, "ls /var/tmp/pgdeploy-pgvector/").stdout.strip() == ""
