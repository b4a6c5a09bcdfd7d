"""Import a Convex export on the database server: the optional last step of a migration off
Convex (import_convex.py). The importer runs next to the database, over its local socket,
so the ZIP crosses the network once and the rows not at all."""

from __future__ import annotations

import hashlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from pyinfra import host
from pyinfra.api import deploy
from pyinfra.api.exceptions import PyinfraError
from pyinfra.facts.server import Arch
from pyinfra.operations import apt, files, pip

from ops import convex
from pgcore import runtime
from tasks.settings import debian_release

PROJECT = Path(__file__).resolve().parent.parent
CACHE = PROJECT / ".cache/importer-wheels"  # on the control machine
RUNTIME = "/opt/pgdeploy-importer"  # the venv, its wheels and the importer's code
IMPORT_DIR = "/var/lib/pgdeploy-import"  # postgres only: each export, its summary and its rejects


def wheelhouse(pins: list[str], python: str, arch: str) -> Path:
    """The importer's wheels for the server's Python and architecture, downloaded once by
    this machine's pip (a server may have no route to PyPI) and kept in CACHE."""
    dest = CACHE / runtime.wheelhouse_name(pins, python, arch)
    if not dest.is_dir():
        partial = dest.with_name(dest.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        proc = subprocess.run([sys.executable, "-m", "pip", *runtime.download_args(pins, python, arch, str(partial))],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise PyinfraError(f"{host.name}: cannot download the importer's wheels for Python {python} on {arch}: "
                               f"{reason}")
        partial.rename(dest)
    return dest


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while block := source.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@deploy("Import a Convex export")
def run(settings: dict) -> None:
    export = settings["convex_export"]
    if export is None:
        raise PyinfraError("no export to import: give its path, e.g. --data convex_export=snapshot.zip")
    try:
        pins = runtime.importer_pins((PROJECT / "requirements.txt").read_text())
        python = runtime.python_for(debian_release(host))
    except runtime.WheelError as error:
        raise PyinfraError(f"{host.name}: {error}") from None
    wheels = wheelhouse(pins, python, host.get_fact(Arch))
    venv = f"{RUNTIME}/venv"

    apt.packages(name="Install python3-venv", packages=["python3-venv"], no_recommends=True, update=True,
                 cache_time=3600)
    files.sync(name="The importer's wheels", src=str(wheels), dest=f"{RUNTIME}/wheels", delete=True)
    pip.venv(name="The importer's venv", path=venv, python="python3")
    pip.packages(name="The importer's packages, pinned, from those wheels only", packages=pins, virtualenv=venv,
                 extra_install_args=f"--no-index --find-links {RUNTIME}/wheels")
    for package in ("importer", "pgcore"):
        files.sync(name=f"The importer's code: {package}", src=str(PROJECT / package), dest=f"{RUNTIME}/app/{package}",
                   delete=True, exclude=["*.pyc"], exclude_dir=["__pycache__"])

    # Named by content: another export is another file, and this one is imported once.
    stem = f"{IMPORT_DIR}/{sha256(export)[:16]}"
    files.directory(name=f"{IMPORT_DIR} (postgres only)", path=IMPORT_DIR, user="postgres", group="postgres",
                    mode="700")
    files.put(name="Upload the export", src=export, dest=f"{stem}.zip", user="postgres", group="postgres", mode="600")
    arguments = [f"{stem}.zip", "--rejects", f"{stem}.rejects.jsonl"]
    if settings["convex_mapping"]:
        files.put(name="Upload the mapping", src=settings["convex_mapping"], dest=f"{stem}.mapping.json",
                  user="postgres", group="postgres", mode="600")
        arguments += ["--mapping", f"{stem}.mapping.json"]
    if settings["convex_allow_rejects"]:
        arguments.append("--allow-rejects")
    # The superuser over the local socket (peer, no password), acting as the migrator: the
    # rows land with the migrator's rights, as they do when imported over TLS.
    dsn = (f"host=/var/run/postgresql port={settings['postgres_port']} dbname={settings['app_database']} "
           f"user=postgres options='-c role={settings['app_migrator_role']}'")
    importer = (f"cd / && runuser -u postgres -- env PYTHONPATH={RUNTIME}/app {venv}/bin/python -m importer "
                + " ".join(shlex.quote(a) for a in arguments) + f" --dsn {shlex.quote(dsn)}")
    convex.imported(
        name="Import the export (its summary: -vvv)", snapshot=f"{stem}.zip", done=f"{stem}.done",
        command=f"{importer} > {stem}.summary; rc=$?; cat {stem}.summary; exit $rc",
    )
