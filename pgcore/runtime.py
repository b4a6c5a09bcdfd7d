"""The importer's runtime on a database server: a venv of pinned wheels that the control
machine downloads (servers often have no route to PyPI; ours have none) and uploads.

Pure logic: which distributions, at which pins (requirements.txt's, so there is one list of
pins), and the `pip download` arguments for the server's Python and architecture.
"""

from __future__ import annotations

import hashlib
import re

# What `python -m importer` imports, with what those need, by distribution name.
IMPORTER_DISTRIBUTIONS = ("psycopg", "psycopg-binary", "pgvector", "numpy", "orjson", "isal", "rich",
                          "markdown-it-py", "mdurl", "Pygments", "typing_extensions")
# The python3 each supported Debian release ships.
DEBIAN_PYTHONS = {"12": "3.11", "13": "3.13"}


class WheelError(ValueError):
    """The runtime cannot be built for this server; the message is one line."""


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def importer_pins(requirements: str) -> list[str]:
    """`name==version` for each importer distribution, as requirements.txt pins it."""
    pins = {}
    for line in requirements.splitlines():
        match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)==(\S+)\s*", line.split("#")[0])
        if match:
            pins[_key(match[1])] = f"{match[1]}=={match[2]}"
    missing = [name for name in IMPORTER_DISTRIBUTIONS if _key(name) not in pins]
    if missing:
        raise WheelError(f"requirements.txt does not pin {', '.join(missing)}")
    return [pins[_key(name)] for name in IMPORTER_DISTRIBUTIONS]


def python_for(debian_version: str) -> str:
    release = debian_version.split(".")[0]
    if release not in DEBIAN_PYTHONS:
        raise WheelError(f"Debian {debian_version}: no known python3 for the importer's wheels "
                            f"(known: Debian {', '.join(DEBIAN_PYTHONS)})")
    return DEBIAN_PYTHONS[release]


def download_args(pins: list[str], python: str, arch: str, dest: str) -> list[str]:
    """`pip download` arguments for binary wheels only, for CPython `python` on Linux `arch`
    (as `uname -m` prints it), glibc 2.28 or later: Debian 12 has 2.36."""
    tags = [f"manylinux{tag}_{arch}" for tag in ("2014", "_2_17", "_2_24", "_2_27", "_2_28")]
    return ["download", "--quiet", "--only-binary=:all:", "--implementation", "cp",
            "--python-version", python, *(arg for tag in tags for arg in ("--platform", tag)),
            "--dest", dest, *pins]


def wheelhouse_name(pins: list[str], python: str, arch: str) -> str:
    """A directory name that changes whenever what goes into it does."""
    digest = hashlib.sha256("\n".join([python, arch, *pins]).encode()).hexdigest()[:16]
    return f"cp{python.replace('.', '')}-{arch}-{digest}"
