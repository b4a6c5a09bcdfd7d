"""pgBackRest: the repository's cipher pass, the stanza and its first backup; facts and
operations shaped like pyinfra's own (pyinfra has none for pgBackRest)."""

from __future__ import annotations

import hashlib
import io
import json
import uuid

from pyinfra import host
from pyinfra.api import FactBase, FileUploadCommand, OperationError, StringCommand, operation
from pyinfra.facts.files import File, Sha256File

from ops.postgresql import SQL_DIR
from pgcore.secrets import Secret

CIPHER_CONF = "/etc/pgbackrest/conf.d/pgdeploy-cipher.conf"
AS_POSTGRES = "cd / && runuser -u postgres -- pgbackrest"


class PgbackrestInfo(FactBase):
    """
    ``pgbackrest info`` of one stanza: its status code (0 ok, 1 missing stanza path, 2 no
    valid backups, 3 missing stanza data, …) and its backups; None without pgBackRest.

    .. code:: python

        {"status": 0, "backups": [{"label": "20261203-213001F", "type": "full", "stop": 1796333401}]}
    """

    def command(self, stanza: str) -> str:
        return f"if command -v pgbackrest >/dev/null; then {AS_POSTGRES} --stanza={stanza} --output=json info; fi"

    def process(self, output):
        text = "".join(output).strip()
        if not text:
            return None
        [stanza] = json.loads(text)
        return {"status": stanza["status"]["code"],
                "backups": [{"label": b["label"], "type": b["type"], "stop": b["timestamp"]["stop"]}
                            for b in stanza.get("backup", [])]}


def _stanza_exists(repo_path: str, stanza: str) -> bool:
    return bool(host.get_fact(File, path=f"{repo_path}/backup/{stanza}/backup.info"))


@operation()
def cipher_pass(passphrase: Secret, stanza: str, repo_path: str):
    """
    Write the repository's cipher pass where pgBackRest reads it (root:postgres, 0640),
    through a root-only directory, never a command line. Once the stanza exists its pass
    cannot change (the repository would become unreadable): a different one is refused.

    + passphrase: the ``Secret``
    + stanza, repo_path: where the stanza's repository lives

    **Example:**

    .. code:: python

        pgbackrest.cipher_pass(name="Cipher pass", passphrase=secret, stanza="main",
                               repo_path="/var/lib/pgbackrest")
    """
    content = f"[global]\nrepo1-cipher-pass={passphrase.reveal()}\n"
    current = host.get_fact(Sha256File, path=CIPHER_CONF)
    if current == hashlib.sha256(content.encode()).hexdigest():
        host.noop("the cipher pass is in place")
        return
    if current and _stanza_exists(repo_path, stanza):
        raise OperationError(f"the backup cipher pass ({passphrase.source}) differs from the one stanza {stanza!r} "
                             f"was created with; it cannot change once the stanza exists")
    staged = f"{SQL_DIR}/{uuid.uuid4().hex}"
    yield StringCommand(f"install -d -m 700 {SQL_DIR} && install -d -m 755 /etc/pgbackrest/conf.d")
    yield FileUploadCommand(io.BytesIO(content.encode()), staged)
    yield StringCommand(f"install -m 640 -o root -g postgres {staged} {CIPHER_CONF}; rc=$?; rm -f {staged}; exit $rc")


@operation()
def stanza(stanza: str):
    """
    Create the stanza (``stanza-create``) and ``check`` that WAL archiving reaches it, unless
    it exists already.

    **Example:**

    .. code:: python

        pgbackrest.stanza(name="Create the stanza", stanza="main")
    """
    info = host.get_fact(PgbackrestInfo, stanza=stanza)
    if info is not None and info["status"] in (0, 2):
        host.noop(f"stanza {stanza} exists")
        return
    yield StringCommand(f"{AS_POSTGRES} --stanza={stanza} stanza-create && {AS_POSTGRES} --stanza={stanza} check")


@operation()
def first_backup(stanza: str):
    """
    Take a full backup when the stanza has none, so there is always one to restore.

    **Example:**

    .. code:: python

        pgbackrest.first_backup(name="First full backup", stanza="main")
    """
    info = host.get_fact(PgbackrestInfo, stanza=stanza)
    if info is not None and info["backups"]:
        host.noop(f"stanza {stanza} has {len(info['backups'])} backup(s)")
        return
    yield StringCommand(f"{AS_POSTGRES} --stanza={stanza} --type=full backup")
