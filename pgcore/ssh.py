"""SSH key pairs for the pgBackRest link between a database server and its repository host.

The control machine makes them (with cryptography, which the deploy already uses for TLS) so
that both ends' public keys are known while pyinfra is still collecting operations: a key
made on the server would exist only after its operation ran, too late for the other host's
authorized_keys. The private half goes to its host through pyinfra's file upload, never a
command line, and is kept nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .secrets import Secret


@dataclass(frozen=True)
class KeyPair:
    public: str  # "ssh-ed25519 AAAA… comment"
    private: Secret | None  # None: the key is already on its host


def generate(comment: str) -> KeyPair:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return KeyPair(f"{public} {comment}", Secret(private, f"a new key for {comment}"))


def key_blob(public: str) -> str:
    """The "type base64" part of a public key line, which identifies it whatever its comment."""
    return " ".join(public.split()[:2])


def authorized_line(public: str, address: str) -> str:
    """An authorized_keys line that lets the key in from `address` only, for commands only
    (no forwarding, no pty): all pgBackRest's protocol needs."""
    return f'restrict,from="{address}" {public}'
