"""A user's SSH key pair, installed from the control machine (see pgcore/ssh.py for why it is
made there). Authorized keys use pyinfra's own server.user_authorized_keys."""

from __future__ import annotations

import io

from pyinfra import host
from pyinfra.api import FileUploadCommand, OperationError, StringCommand, operation
from pyinfra.facts.files import FileContents

from ops.postgresql import secret_file
from pgcore.ssh import KeyPair, key_blob


def public_key(h, path: str) -> str | None:
    """The public key at `path` (an ``id_*.pub`` or a host key) on host `h`, if there is one."""
    lines = h.get_fact(FileContents, path=path)
    return lines[0].strip() if lines else None


@operation()
def user_key(user: str, path: str, key: KeyPair):
    """
    Install `key` as `user`'s SSH identity: the private half at `path` (0600, through a
    root-only directory, never a command line) and the public half at ``path.pub``, unless
    that key is there already. The directory must exist.

    + user: its owner (and group)
    + path: e.g. ``/var/lib/postgresql/.ssh/id_ed25519``
    + key: a ``KeyPair``; its private half is None when the key is already in place

    **Example:**

    .. code:: python

        ssh.user_key(name="postgres's SSH key", user="postgres",
                     path="/var/lib/postgresql/.ssh/id_ed25519", key=pgcore.ssh.generate("postgres@db1"))
    """
    current = public_key(host, f"{path}.pub")
    if current and key_blob(current) == key_blob(key.public):
        host.noop(f"{path} holds the key")
        return
    if key.private is None:
        raise OperationError(f"{path}.pub changed while the deploy ran; run it again")
    yield from secret_file(key.private.reveal().encode(), path, "600", user, user)
    yield FileUploadCommand(io.BytesIO(f"{key.public}\n".encode()), f"{path}.pub")
    yield StringCommand(f"chown {user}:{user} {path}.pub && chmod 644 {path}.pub")
