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

from . import pgconf, secrets, tls, tuning
from .secrets import Secret

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


ROLE_KINDS = ("migrator", "app", "readonly")
DURATION = r"\d+\s*(us|ms|s|min|h|d)?"


def _identifier(value) -> str | None:
    return _all(STRING, _pattern(r"[a-z_][a-z0-9_]{0,62}", "a lower-case SQL identifier"))(value)


def _per_kind(check_one: Callable[[Any], str | list[str] | None], what: str, required: bool = False):
    """A mapping from role kind ("migrator", "app", "readonly") to a value `check_one` accepts."""
    def check(value):
        if not isinstance(value, dict):
            return f"must be a mapping of {what}, got {value!r}"
        found = [f"has unknown role kind {k!r} (valid: {', '.join(ROLE_KINDS)})" for k in value if k not in ROLE_KINDS]
        if required:
            found += [f"is missing role kind {k!r}" for k in ROLE_KINDS if k not in value]
        for kind, one in value.items():
            reasons = check_one(one) or []
            found += [f"[{kind!r}] {r}" for r in ([reasons] if isinstance(reasons, str) else reasons)]
        return found
    return check


def _limits(value) -> list[str] | str | None:
    if not isinstance(value, dict):
        return f"must be a mapping with connection_limit and statement_timeout, got {value!r}"
    found = [f"has unknown key {k!r} (valid: connection_limit, statement_timeout)" for k in value
             if k not in ("connection_limit", "statement_timeout")]
    if "connection_limit" in value and (reason := _all(INTEGER, _range(-1, 262143))(value["connection_limit"])):
        found.append(f"connection_limit {reason}")
    timeout = value.get("statement_timeout")
    if timeout is not None and (reason := _all(STRING, _pattern(DURATION, "a duration like 30s"))(timeout)):
        found.append(f"statement_timeout {reason}")
    return found


def _cidrs(value) -> str | None:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        return f"must be a list of CIDRs, got {value!r}"
    for cidr in value:
        try:
            ipaddress.ip_network(cidr, strict=True)
        except ValueError as error:
            return f"{cidr!r} is not a CIDR ({error})"
        if "/" not in cidr:
            return f"{cidr!r} is not a CIDR: give the prefix length, e.g. {cidr}/32"
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
    "app_database": Setting(_identifier),
    "app_owner_role": Setting(_identifier),
    "app_migrator_role": Setting(_identifier),
    "app_role": Setting(_identifier),
    "app_readonly_role": Setting(_identifier),
    "app_role_limits": Setting(_per_kind(_limits, "role kind to limits")),
    "app_clients": Setting(_per_kind(_cidrs, "role kind to a list of CIDRs")),
    "password_secrets": Setting(_per_kind(_all(STRING, _pattern(r"[A-Z_][A-Z0-9_]*", "an environment variable name")),
                                          "role kind to an environment variable name", required=True)),
    "secrets_file": Setting(STRING, optional=True),
    "postgres_tls_cert": Setting(STRING, optional=True),
    "postgres_tls_key": Setting(STRING, optional=True),
    "backup_stanza": Setting(_all(STRING, _pattern(r"[a-z0-9][a-z0-9_-]{0,62}", "a stanza name"))),
    "backup_repo_path": Setting(_all(STRING, _pattern(r"/\S+", "an absolute path"))),
    "backup_repo2_path": Setting(_all(STRING, _pattern(r"/\S+", "an absolute path"))),
    "backup_retention_full": Setting(_all(INTEGER, _range(1, 9999999))),
    "backup_cipher_secret": Setting(_all(STRING, _pattern(r"[A-Z_][A-Z0-9_]*", "an environment variable name"))),
    "backup_full_schedule": Setting(_all(STRING, _pattern(r"[^\n]+", "a systemd OnCalendar expression"))),
    "backup_diff_schedule": Setting(_all(STRING, _pattern(r"[^\n]+", "a systemd OnCalendar expression"))),
    "backup_repo2_full_schedule": Setting(_all(STRING, _pattern(r"[^\n]+", "a systemd OnCalendar expression"))),
    "backup_repo2_diff_schedule": Setting(_all(STRING, _pattern(r"[^\n]+", "a systemd OnCalendar expression"))),
    "backup_check_schedule": Setting(_all(STRING, _pattern(r"[^\n]+", "a systemd OnCalendar expression"))),
    "backup_max_age_hours": Setting(_all(INTEGER, _range(1, 24 * 366))),
    "backup_drill_directory": Setting(_all(STRING, _pattern(r"/\S+", "an absolute path"))),
    "backup_drill_port": Setting(_all(INTEGER, _range(1, 65535))),
    "backup_repo2_host": Setting(_all(STRING, _pattern(r"\S+", "an inventory host name")), optional=True),
    "backup_ssh_address": Setting(_all(STRING, _pattern(r"[A-Za-z0-9.:_-]+", "a host name or address")), optional=True),
    "restore_repo": Setting(_all(INTEGER, _choice(1, 2)), optional=True),
    "restore_target": Setting(_all(STRING, _pattern(r"\d{4}-\d\d-\d\d[ T][0-9:.]+([+-]\d\d(:?\d\d)?|Z)?",
                                                    "a timestamp like 2026-12-03 21:30:00+00")), optional=True),
    "convex_export": Setting(STRING, optional=True),
    "convex_mapping": Setting(STRING, optional=True),
    "convex_allow_rejects": Setting(_type(bool, what="true or false")),
    "migrations_dir": Setting(STRING),
    "migrations_lock_timeout": Setting(_all(STRING, _pattern(DURATION, "a duration like 10s"))),
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
    roles = [data[k] for k in ROLE_SETTINGS.values()]
    if len(set(roles)) < len(roles):
        found.append(f"the roles {', '.join(f'{k} = {data[k]!r}' for k in ROLE_SETTINGS.values())} must differ")
    if (data["postgres_tls_cert"] is None) != (data["postgres_tls_key"] is None):
        found.append("postgres_tls_cert and postgres_tls_key go together: give both, or neither for a "
                     "self-signed certificate")
    elif data["postgres_tls_cert"] and (problem := tls.pair_problem(data["postgres_tls_cert"], data["postgres_tls_key"])):
        found.append(problem)
    if data["backup_drill_port"] == data["postgres_port"]:
        found.append(f"backup_drill_port {data['backup_drill_port']} is the live cluster's port; the drill needs its own")
    for key in ("convex_export", "convex_mapping"):
        if data[key] is not None and not os.path.isfile(data[key]):
            found.append(f"{key} {data[key]!r} is not a file on the control machine")
    if not os.path.isdir(migrations_dir(data)):
        found.append(f"migrations_dir {data['migrations_dir']!r} is not a directory on the control machine")
    return found


# The setting naming each role the deploy manages, by kind.
ROLE_SETTINGS = {"owner": "app_owner_role", "migrator": "app_migrator_role", "app": "app_role",
                 "readonly": "app_readonly_role"}
PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def role_limits(settings: dict[str, Any], kind: str) -> dict[str, Any]:
    """A LOGIN role's connection_limit and statement_timeout, with the keys it leaves out at
    PostgreSQL's own defaults (no limit, the server's timeout)."""
    return {"connection_limit": -1, "statement_timeout": None, **settings["app_role_limits"].get(kind, {})}


def migrations_dir(settings: dict[str, Any]) -> str:
    """migrations_dir, relative to the project unless absolute."""
    return os.path.join(PROJECT, settings["migrations_dir"])


def passwords(settings: dict[str, Any], repository_host: bool = False) -> dict[str, Secret]:
    """Each LOGIN role's password by kind, and the backup cipher pass as "backup_cipher" (all a
    repository host needs); SettingsError names every secret that is missing or unfit."""
    found, problems_ = {}, []
    roles = {} if repository_host else settings["password_secrets"]
    wanted = {**roles, "backup_cipher": settings["backup_cipher_secret"]}
    for kind, variable in wanted.items():
        try:
            found[kind] = secrets.lookup(variable, settings["secrets_file"])
        except secrets.SecretError as error:
            what = "backup cipher pass" if kind == "backup_cipher" else f"{kind} role password"
            problems_.append(f"{what}: {error}")
    if problems_:
        raise SettingsError("\n".join(problems_))
    return found


# The inventory group of dedicated pgBackRest repository hosts (repo2 of the database servers).
BACKUP_GROUP = "backup"


def backup_link_problems(hosts: dict[str, dict[str, Any]]) -> list[str]:
    """What is wrong with the links from database servers to repository hosts. `hosts` maps
    each host name to {"groups": [...], "data": {...}, "debian": "12"}; the data is valid."""
    found, stanzas = [], {}
    for name, one in hosts.items():
        repo = one["data"]["backup_repo2_host"]
        if repo is None:
            continue
        if BACKUP_GROUP in one["groups"]:
            found.append(f"{name}: backup_repo2_host is for database servers; {name} is in the "
                         f"{BACKUP_GROUP!r} group")
        elif repo not in hosts or BACKUP_GROUP not in hosts[repo]["groups"]:
            found.append(f"{name}: backup_repo2_host {repo!r} is not a host of the inventory's {BACKUP_GROUP!r} group")
        elif one["debian"] != hosts[repo]["debian"]:
            # pgBackRest refuses to talk to another version; Debian ships one per release.
            found.append(f"{name}: runs Debian {one['debian']} but its repository host {repo} runs Debian "
                         f"{hosts[repo]['debian']}; pgBackRest's versions must match exactly")
        elif one["data"]["backup_repo_path"] == hosts[repo]["data"]["backup_repo2_path"]:
            found.append(f"{name}: backup_repo_path and {repo}'s backup_repo2_path are both "
                         f"{one['data']['backup_repo_path']!r}; pgBackRest needs repo1 and repo2 on different paths")
        else:
            stanza = one["data"]["backup_stanza"]
            if (repo, stanza) in stanzas:
                found.append(f"{name}: {repo} already keeps stanza {stanza!r} for {stanzas[repo, stanza]}; "
                             f"give each database server its own backup_stanza")
            stanzas[repo, stanza] = name
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
    settings["migrations_dir"] = migrations_dir(settings)
    return settings
