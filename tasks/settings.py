"""Inventory data, validated for every host before any operation is collected or run."""

from __future__ import annotations

from pyinfra import host, inventory
from pyinfra.api.exceptions import PyinfraError
from pyinfra.facts.server import LinuxDistribution

from ops import postgresql
from pgcore import settings as schema

_resolved: dict[str, dict] = {}  # by host name: settings are resolved once per deploy


def is_repository_host(h=None) -> bool:
    """A dedicated pgBackRest repository host (the `backup` group), not a database server."""
    return schema.BACKUP_GROUP in (host if h is None else h).groups


def debian_release(h) -> str:
    return h.get_fact(LinuxDistribution)["release_meta"].get("VERSION_ID", "")


def of(h) -> dict:
    """Host `h`'s resolved settings with its secrets; the deploy of one host reads its peers'
    (a database server's repository host, a repository host's database servers)."""
    if h.name not in _resolved:
        try:
            # A repository host runs no PostgreSQL: nothing of it depends on its release.
            settings = (schema.validate(h.data.dict()) if is_repository_host(h)
                        else schema.resolve(h.data.dict(), debian_release(h)))
        except schema.SettingsError as error:
            raise PyinfraError(f"{h.name}: {error}") from None
        settings["passwords"] = schema.passwords(settings, repository_host=is_repository_host(h))
        _resolved[h.name] = settings
    return _resolved[h.name]


def address(h) -> str:
    """Where the other end of the backup link reaches `h`."""
    return h.data.get("backup_ssh_address") or h.data.get("ssh_hostname") or h.name


def current() -> dict:
    """This host's validated settings. A problem on any host stops the whole deploy here,
    while pyinfra is still collecting operations, so no host has been changed."""
    found = [f"{h.name}: {problem}" for h in inventory for problem in schema.problems(h.data.dict())]
    if found:
        raise PyinfraError("invalid inventory data:\n" + "\n".join(found))
    for h in inventory:
        try:
            schema.passwords(h.data.dict(), repository_host=is_repository_host(h))
        except schema.SettingsError as error:
            found += [f"{h.name}: {line}" for line in str(error).splitlines()]
    if found:
        raise PyinfraError("missing secrets:\n" + "\n".join(found))
    linked = {h.data.get("backup_repo2_host") for h in inventory} - {None}
    found = schema.backup_link_problems({
        h.name: {"groups": list(h.groups), "data": h.data.dict(),
                 "debian": debian_release(h) if h.name in linked or h.data.get("backup_repo2_host") else ""}
        for h in inventory})
    if found:
        raise PyinfraError("invalid backup links:\n" + "\n".join(found))
    settings = {**of(host), "repository_host": is_repository_host()}
    # RAM, cgroup limit and CPUs, read once: the tuning, the migrations and the backups use them.
    settings["resources"] = host.get_fact(postgresql.HostResources)
    return settings
