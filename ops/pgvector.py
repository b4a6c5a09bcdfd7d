"""pgvector built from pinned, checksummed source with its own Makefile: a fact and an operation.

No distribution ships it for every major (Debian 12 has none), and operators want the exact
version they pinned, so it is built on the server against the installed major's pg_config.
"""

from __future__ import annotations

import hashlib
import shlex

from pyinfra import host
from pyinfra.api import FactBase, FileUploadCommand, OperationError, StringCommand, operation

from ops.postgresql import psql

BUILD_ROOT = "/var/tmp/pgdeploy-pgvector"


def _paths(major: int) -> dict[str, str]:
    return {
        "control": f"/usr/share/postgresql/{major}/extension/vector.control",
        "library": f"/usr/lib/postgresql/{major}/lib/vector.so",
        # Which source the installed files were built from (version and sha256).
        "stamp": f"/usr/lib/postgresql/{major}/lib/vector.pgdeploy",
    }


class PgvectorBuild(FactBase):
    """
    What pgvector build is installed for a PostgreSQL major, or None.

    .. code:: python

        {"version": "0.8.0", "sha256": "867a2c32…"}
    """

    def command(self, major: int) -> str:
        p = _paths(major)
        return (f"test -f {p['library']} && test -f {p['control']} && "
                f"grep -h \"^default_version\" {p['control']} && cat {p['stamp']} || true")

    def process(self, output):
        lines = [line for line in output if line.strip()]
        if len(lines) < 2:
            return None
        control_version = lines[0].split("=", 1)[1].strip().strip("'\"")
        version, sha256 = (lines[1].split() + [""])[:2]
        return {"version": control_version, "sha256": sha256} if version == control_version else None


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@operation()
def installed(major: int, version: str, sha256: str, source: str, port: int = 5432,
              http_proxy: str | None = None):
    """
    Build and install pgvector ``version`` for PostgreSQL ``major``, unless that exact build
    (same version and source checksum) is installed already. After an upgrade, every database
    that has the extension gets ``ALTER EXTENSION vector UPDATE``.

    + major: PostgreSQL major to build against (its postgresql-server-dev package must be installed)
    + version: pgvector version, e.g. "0.8.0"
    + sha256: the source tarball's sha256; a mismatch stops before anything is built
    + source: a URL the server downloads, or a file on the control machine that is uploaded
    + port: the cluster's port, for the extension update
    + http_proxy: proxy for the server's download

    **Example:**

    .. code:: python

        pgvector.installed(
            name="Build pgvector",
            major=15, version="0.8.0",
            sha256="867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0",
            source="https://github.com/pgvector/pgvector/archive/refs/tags/v0.8.0.tar.gz",
        )
    """
    current = host.get_fact(PgvectorBuild, major=major)
    if current == {"version": version, "sha256": sha256}:
        host.noop(f"pgvector {version} is installed for PostgreSQL {major}")
        return

    remote = source.startswith(("http://", "https://"))
    if not remote and (local := sha256_file(source)) != sha256:
        raise OperationError(f"pgvector source {source}: sha256 {local}, expected {sha256}")
    work = f"{BUILD_ROOT}/{major}-{version}"
    tarball = f"{work}.tar.gz"
    yield StringCommand(f"rm -rf {work} && mkdir -p {work}")
    if remote:
        proxy = f"http_proxy={shlex.quote(http_proxy)} https_proxy={shlex.quote(http_proxy)} " if http_proxy else ""
        yield StringCommand(f"{proxy}curl -fsSL --retry 2 -o {tarball} {shlex.quote(source)} "
                            f"|| {{ rm -rf {work} {tarball}; exit 1; }}")
    else:
        yield FileUploadCommand(source, tarball)
    pg_config = f"/usr/lib/postgresql/{major}/bin/pg_config"
    log = f"{work}/build.log"
    stamp = _paths(major)["stamp"]
    # OPTFLAGS="" keeps -march=native out: the binary must run on any CPU of the architecture.
    yield StringCommand(
        f'got=$(sha256sum {tarball} | cut -d" " -f1); '
        f'if [ "$got" != {sha256} ]; then echo "pgvector source checksum mismatch: '
        f'expected {sha256}, got $got" >&2; rm -rf {work} {tarball}; exit 1; fi; '
        f"tar -xzf {tarball} -C {work} --strip-components=1 && "
        f'{{ make -C {work} -j"$(nproc)" OPTFLAGS="" PG_CONFIG={pg_config} && '
        f"make -C {work} install PG_CONFIG={pg_config}; }} > {log} 2>&1 "
        f'|| {{ echo "pgvector build failed; last lines of {log}:" >&2; tail -n 40 {log} >&2; exit 1; }}; '
        f"echo {version} {sha256} > {stamp}")
    if current is not None:
        yield StringCommand(_update_everywhere(port))
    yield StringCommand(f"rm -rf {work} {tarball}")


def _update_everywhere(port: int) -> str:
    """ALTER EXTENSION vector UPDATE in every database that has it (after a new version)."""
    update = ("DO $$ BEGIN IF EXISTS (SELECT FROM pg_extension WHERE extname = 'vector') "
              "THEN ALTER EXTENSION vector UPDATE; END IF; END $$")
    databases = "SELECT datname FROM pg_database WHERE datallowconn"
    return (f"for db in $({psql(port)} -c {shlex.quote(databases)}); "
            f"do {psql(port, '$db')} -c {shlex.quote(update)} || exit 1; done")
