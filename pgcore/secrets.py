"""Secrets for the deploy: from the environment or a 0600 file outside git, never from inventory.

A Secret never shows its value in repr() or str(), so it cannot end up in pyinfra's output,
a log or a traceback by accident; `reveal()` is the one way to read it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MIN_PASSWORD_LENGTH = 16


class SecretError(ValueError):
    """A secret that is missing or unfit; the message names where it was looked for."""


class Secret:
    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str):
        self._value, self.source = value, source

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret(from {self.source})"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self.source)


def read_file(path: str) -> dict[str, str]:
    """NAME=value lines of a secrets file, which must be a regular file only its owner can read."""
    file = Path(path)
    try:
        mode = file.stat().st_mode
    except OSError:
        raise SecretError(f"secrets file {path} does not exist") from None
    if not stat.S_ISREG(mode) or mode & 0o077:
        raise SecretError(f"secrets file {path} must be a regular file with mode 0600, "
                          f"not {stat.filemode(mode)}")
    values = {}
    for number, line in enumerate(file.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if "=" not in line:
            raise SecretError(f"secrets file {path} line {number} is not NAME=value")
        name, value = line.split("=", 1)
        values[name.strip()] = value.strip()
    return values


def lookup(name: str, secrets_file: str | None, minimum: int = MIN_PASSWORD_LENGTH) -> Secret:
    """The secret `name`: the environment variable of that name, else the secrets file's entry."""
    if os.environ.get(name):
        value, source = os.environ[name], f"environment variable {name}"
    elif secrets_file and (value := read_file(secrets_file).get(name)):
        source = f"{name} in {secrets_file}"
    else:
        where = f"environment variable {name}" + (f" or {name}= in {secrets_file}" if secrets_file else "")
        raise SecretError(f"missing secret: set {where}")
    if len(value) < minimum:
        raise SecretError(f"{source} is shorter than {minimum} characters")
    return Secret(value, source)
