"""A throwaway PostgreSQL 15 with pgvector on this machine, for the importer's tests and its
benchmark: initdb into a temporary directory, listen only on a unix socket there, run as
`postgres` when we are root (PostgreSQL refuses root), stop by its own PID."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

BINDIR = Path("/usr/lib/postgresql/15/bin")
VECTOR = Path("/usr/lib/postgresql/15/lib/vector.so")
SCHEMA = Path(__file__).resolve().parents[1] / "sql" / "001_initial_schema.sql"
TEMPLATE = "schema_template"  # a database with the vector extension and the schema


class ServerError(RuntimeError):
    pass


def _as_server_user() -> dict:
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": pwd.getpwnam("postgres").pw_gid, "extra_groups": []}


class LocalServer:
    def __init__(self):
        missing = [str(p) for p in (BINDIR / "postgres", VECTOR) if not p.exists()]
        if missing:
            raise ServerError(f"{', '.join(missing)} missing: run ./setup.sh")
        self.base = Path(tempfile.mkdtemp(prefix="importer-pg-"))
        self.socket_dir = self.base / "socket"
        self.proc: subprocess.Popen | None = None

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} user=postgres dbname={dbname}"

    def start(self) -> LocalServer:
        self.base.chmod(0o755)
        self.socket_dir.mkdir()
        runas = _as_server_user()
        if runas:
            shutil.chown(self.base, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        data = self.base / "data"
        subprocess.run([BINDIR / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True, **runas)
        with open(self.base / "server.log", "wb") as log:
            # Durability off: a scratch server; the importer's own work is what is measured.
            self.proc = subprocess.Popen([BINDIR / "postgres", "-D", data, "-k", self.socket_dir,
                                          "-c", "listen_addresses=", "-c", "fsync=off",
                                          "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                                         stdout=log, stderr=subprocess.STDOUT, **runas)
        self._wait_ready()
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE}")
        with psycopg.connect(self.dsn(TEMPLATE)) as conn:
            conn.execute("CREATE EXTENSION vector")
            conn.execute(SCHEMA.read_text())
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.dsn(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise ServerError("PostgreSQL did not start:\n"
                                      + (self.base / "server.log").read_text()[-2000:]) from None
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")

    def stop(self) -> None:
        if self.proc is not None:
            # SIGINT is PostgreSQL's fast shutdown: it does not wait for clients a failed test left open.
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *_):
        self.stop()
