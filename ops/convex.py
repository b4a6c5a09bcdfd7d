"""A Convex export imported on the database server by `python -m importer`, once."""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import StringCommand, operation
from pyinfra.facts.files import File


@operation()
def imported(snapshot: str, command: str, done: str):
    """
    Run `command` (the importer, on `snapshot`) unless the marker `done` exists; the marker
    is written only when the importer exits 0, so a failed or interrupted import runs again
    (the importer itself loses nothing and adds nothing twice).

    + snapshot: the export's path on the server
    + command: the importer's command line; it must not hold a secret
    + done: the marker of a finished import of exactly this export

    **Example:**

    .. code:: python

        convex.imported(name="Import", snapshot="/var/lib/pgdeploy-import/ab12.zip",
                        command="/opt/pgdeploy-importer/venv/bin/python -m importer …",
                        done="/var/lib/pgdeploy-import/ab12.done")
    """
    if host.get_fact(File, path=done):
        host.noop(f"{snapshot} was imported")
        return
    yield StringCommand(f"({command}) && touch {shlex.quote(done)}")
