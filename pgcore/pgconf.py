"""postgresql.conf overrides: checked against the server's own catalog of settings.

The catalog is what `postgres --describe-config` prints on the server, so a name is known
exactly when that server's PostgreSQL knows it (no hand-kept list of names).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

# The units postgresql.conf accepts (memory and time).
UNITS = ("B", "kB", "MB", "GB", "TB", "us", "ms", "s", "min", "h", "d")
NUMBER_WITH_UNIT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
NAME = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


@dataclass(frozen=True)
class Parameter:
    context: str  # postmaster, sighup, user, …: what it takes for a change to apply
    vartype: str  # BOOLEAN, INTEGER, REAL, STRING, ENUM
    minimum: float | None
    maximum: float | None


def parse_catalog(lines) -> dict[str, Parameter]:
    """`postgres --describe-config` (tab-separated: name, context, group, type, default, min, max, …)."""
    catalog = {}
    for line in lines:
        cols = line.split("\t")
        if len(cols) < 7:
            continue
        catalog[cols[0]] = Parameter(cols[1], cols[3], _number(cols[5]), _number(cols[6]))
    return catalog


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def syntax_problems(overrides) -> list[str]:
    """What can be said of overrides without a server: shape, names and units."""
    if not isinstance(overrides, dict):
        return [f"must be a mapping of setting name to value, got {overrides!r}"]
    found = []
    for name, value in overrides.items():
        if not isinstance(name, str) or not NAME.match(name):
            found.append(f"has {name!r}, which is not a setting name")
        elif isinstance(value, bool) or isinstance(value, (int, float)):
            continue
        elif not isinstance(value, str):
            found.append(f"has {name} = {value!r}: must be a string, number or boolean")
        elif (m := NUMBER_WITH_UNIT.match(value)) and m.group(2) and m.group(2) not in UNITS:
            found.append(f"has {name} = {value!r}: unknown unit {m.group(2)!r} (valid: {', '.join(UNITS)})")
    return found


def catalog_problems(overrides: dict, catalog: dict[str, Parameter]) -> list[str]:
    """Names the server does not know (with the closest it does) and values below its minimum."""
    found = []
    for name, value in overrides.items():
        if "." in name:
            continue  # an extension's custom setting (e.g. hnsw.ef_search): defined when it loads
        if name not in catalog:
            match = difflib.get_close_matches(name, list(catalog), n=1, cutoff=0.6)
            found.append(f"postgres_settings has unknown setting {name!r}"
                         + (f" (did you mean {match[0]!r}?)" if match else ""))
            continue
        param = catalog[name]
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        if isinstance(value, str) and (m := NUMBER_WITH_UNIT.match(value)):
            number = float(m.group(1))
        if param.vartype in ("INTEGER", "REAL") and number is not None and param.minimum is not None \
                and number < 0 <= param.minimum:
            found.append(f"postgres_settings has {name} = {value!r}: must not be negative")
    return found


def conf_value(value) -> str:
    """A value as written into postgresql.conf."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)):
        return str(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
