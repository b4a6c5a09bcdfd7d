"""Inventory data: the schema of every project setting and its validation.

Pure Python, no pyinfra: the deploy calls `validate` on each host's data before any operation
runs, and tests call it directly. Defaults live in group_data/all.py, not here.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from dataclasses import dataclass
from typing import Any, Callable

from . import pgconf, tuning

SUPPORTED_MAJORS = (13, 14, 15, 16, 17, 18)
# The PostgreSQL major each supported Debian release ships.
DEBIAN_MAJORS = {"12": 15, "13": 17}
# Data keys that belong to pyinfra or its connectors, not to this project.
FOREIGN_KEY = re.compile(r"^(_|(ssh|local|docker|dockerssh|podman|chroot|winrm|terraform|vagrant)_)")


class SettingsError(ValueError):
    """Inventory data that cannot be deployed; the message is one line per problem."""


@dataclass(frozen=True)
class Setting:
    check: Callable[[Any], str | list[str] | None]  # the reason(s) the value is wrong, if it is
    optional: bool = False  # None is allowed


def _type(*types: type, what: str) -> Callable[[Any], str | None]:
    def check(value):
        # bool is an int in Python; a port of True is still a mistake.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            return f"must be {what}, got {type(value).__name__} {value!r}"
        return None
    return check


def _all(*checks: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    def check(value):
        for one in checks:
            if (reason := one(value)) is not None:
                return reason
        return None
    return check


def _choice(*choices) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else f"must be one of {', '.join(map(repr, choices))}, got {v!r}"


def _range(low: int, high: int) -> Callable[[Any], str | None]:
    return lambda v: None if low <= v <= high else f"must be between {low} and {high}, got {v}"


def _pattern(regex: str, what: str) -> Callable[[Any], str | None]:
    return lambda v: None if re.fullmatch(regex, v) else f"must be {what}, got {v!r}"


def _listen_addresses(value) -> str | None:
    if not isinstance(value, list) or not value or not all(isinstance(a, str) for a in value):
        return f"must be a non-empty list of addresses, got {value!r}"
    for address in value:
        if address in ("*", "localhost"):
            continue
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return f"{address!r} is not an IP address, '*' or 'localhost'"
    return None


def _source(value) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is missing: give a URL or a file on the control machine"
    if re.match(r"^[a-z]+://", value):
        return None if re.match(r"^https?://\S+$", value) else f"must be an http(s) URL or a file, got {value!r}"
    return None


INTEGER = _type(int, what="an integer")
STRING = _type(str, what="a string")

SCHEMA: dict[str, Setting] = {
    "postgres_major": Setting(_all(INTEGER, _choice(*SUPPORTED_MAJORS)), optional=True),
    "postgres_apt_source": Setting(_all(STRING, _choice("debian", "pgdg"))),
    "postgres_pgdg_url": Setting(_all(STRING, _pattern(r"https?://\S+", "an http(s) URL"))),
    "postgres_cluster": Setting(_all(STRING, _pattern(r"[a-z0-9][a-z0-9_-]{0,62}", "a cluster name"))),
    "postgres_listen_addresses": Setting(_listen_addresses),
    "postgres_port": Setting(_all(INTEGER, _range(1, 65535))),
    "postgres_locale": Setting(_all(STRING, _pattern(r"[A-Za-z0-9_.@-]+", "a locale name"))),
    "postgres_encoding": Setting(_all(STRING, _pattern(r"[A-Za-z0-9_]+", "an encoding name"))),
    "postgres_data_checksums": Setting(_type(bool, what="true or false")),
    "postgres_workload": Setting(_all(STRING, _choice(*tuning.WORKLOADS))),
    "postgres_storage": Setting(_all(STRING, _choice(*tuning.STORAGE))),
    "postgres_max_connections": Setting(_all(INTEGER, _range(1, 262143)), optional=True),
    "postgres_data_size": Setting(_all(STRING, _choice(*tuning.DATA_SIZES)), optional=True),
    "postgres_settings": Setting(pgconf.syntax_problems),
    "app_database": Setting(_all(STRING, _pattern(r"[a-z_][a-z0-9_]{0,62}", "a lower-case SQL identifier"))),
    "pgvector_version": Setting(_all(STRING, _pattern(r"\d+\.\d+\.\d+", "a version like 0.8.0"))),
    "pgvector_sha256": Setting(_all(STRING, _pattern(r"[0-9a-f]{64}", "64 lower-case hex digits"))),
    "pgvector_source": Setting(_source),
    "http_proxy": Setting(_all(STRING, _pattern(r"https?://\S+", "an http(s) URL")), optional=True),
}


def closest(name: str, candidates) -> str | None:
    match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return match[0] if match else None


def problems(data: dict[str, Any]) -> list[str]:
    """Every reason `data` (one host's merged inventory data) cannot be deployed."""
    found = []
    for key in sorted(data):
        if key in SCHEMA or FOREIGN_KEY.match(key):
            continue
        hint = closest(key, SCHEMA)
        found.append(f"unknown setting {key!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
    for key, setting in SCHEMA.items():
        if key not in data:
            found.append(f"missing setting {key!r} (is group_data/all.py loaded?)")
            continue
        value = data[key]
        if value is None and setting.optional:
            continue
        reasons = setting.check(value) or []
        found += [f"{key} {reason}" for reason in ([reasons] if isinstance(reasons, str) else reasons)]
    return found or _cross_checks(data)


def _cross_checks(data: dict[str, Any]) -> list[str]:
    """Checks that need several settings, run once each of them is valid on its own."""
    found = []
    try:
        source = pgvector_source(data)
    except (KeyError, IndexError, ValueError) as error:
        return [f"pgvector_source {data['pgvector_source']!r} has a bad placeholder ({error}); only {{version}} exists"]
    if not is_url(source) and not os.path.isfile(source):
        found.append(f"pgvector_source file {source!r} does not exist on the control machine")
    return found


def is_url(source: str) -> bool:
    return re.match(r"^https?://", source) is not None


def pgvector_source(settings: dict[str, Any]) -> str:
    return settings["pgvector_source"].format(version=settings["pgvector_version"])


def validate(data: dict[str, Any], host: str = "") -> dict[str, Any]:
    """Return the project's settings from `data`, or raise SettingsError naming each problem."""
    found = problems(data)
    if found:
        prefix = f"{host}: " if host else ""
        raise SettingsError("\n".join(prefix + line for line in found))
    return {key: data[key] for key in SCHEMA}


def postgres_major(settings: dict[str, Any], debian_version: str) -> int:
    """The major to install: the configured one, or the one the Debian release ships."""
    release = debian_version.split(".")[0]
    wanted = settings["postgres_major"]
    if settings["postgres_apt_source"] == "pgdg":
        return wanted if wanted is not None else max(SUPPORTED_MAJORS)
    shipped = DEBIAN_MAJORS.get(release)
    if shipped is None:
        raise SettingsError(f"Debian {debian_version} is not supported with postgres_apt_source = 'debian'; "
                            f"use one of Debian {', '.join(DEBIAN_MAJORS)} or 'pgdg'")
    if wanted is not None and wanted != shipped:
        raise SettingsError(f"postgres_major = {wanted}, but Debian {release} ships {shipped}; "
                            f"set postgres_apt_source = 'pgdg' for other majors")
    return shipped


def resolve(data: dict[str, Any], debian_version: str, host: str = "") -> dict[str, Any]:
    """Validated settings with everything that depends on the host's facts filled in."""
    settings = validate(data, host)
    settings["postgres_major"] = postgres_major(settings, debian_version)
    settings["pgvector_source"] = pgvector_source(settings)
    return settings
