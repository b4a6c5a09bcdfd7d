"""Inventory data, validated for every host before any operation is collected or run."""

from __future__ import annotations

from pyinfra import host, inventory
from pyinfra.api.exceptions import PyinfraError
from pyinfra.facts.server import LinuxDistribution

from ops import postgresql
from pgcore import settings as schema


def current() -> dict:
    """This host's validated settings. A problem on any host stops the whole deploy here,
    while pyinfra is still collecting operations, so no host has been changed."""
    found = [f"{h.name}: {problem}" for h in inventory for problem in schema.problems(h.data.dict())]
    if found:
        raise PyinfraError("invalid inventory data:\n" + "\n".join(found))
    for h in inventory:
        try:
            schema.passwords(h.data.dict())
        except schema.SettingsError as error:
            found += [f"{h.name}: {line}" for line in str(error).splitlines()]
    if found:
        raise PyinfraError("missing secrets:\n" + "\n".join(found))
    release = host.get_fact(LinuxDistribution)["release_meta"].get("VERSION_ID", "")
    try:
        settings = schema.resolve(host.data.dict(), release, host.name)
    except schema.SettingsError as error:
        raise PyinfraError(f"{host.name}: {error}") from None
    settings["passwords"] = schema.passwords(settings)
    # RAM, cgroup limit and CPUs, read once: the tuning, the migrations and the backups use them.
    settings["resources"] = host.get_fact(postgresql.HostResources)
    return settings
