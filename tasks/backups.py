"""Backups with pgBackRest: WAL archiving, encrypted repositories (repo1 on the database
server, optionally repo2 on a dedicated repository host), scheduled full and diff backups and
checks (systemd timers), and the restore drill's script.

A database server and its repository host are configured by the same operations, in this
order, so each step finds what it needs on the other host: the repository host's user,
keys and configuration exist before the database server creates the stanza in repo2, and
the stanza exists before the repository host pulls its first backup.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from pyinfra import host, inventory
from pyinfra.api import deploy
from pyinfra.api.exceptions import PyinfraError
from pyinfra.operations import apt, files, server, systemd

from ops import pgbackrest, ssh
from pgcore import ssh as keys
from pgcore.templates import render
from tasks import settings as hosts
from tasks.postgresql import apply_conf

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
UNITS = "/etc/systemd/system"
DRILL = "/usr/local/sbin/pgdeploy-restore-drill"
DRILL_REPORT = "/var/log/pgdeploy/restore-drill.json"  # the last drill's report
SPOOL = "/var/spool/pgbackrest"
HOST_KEY = "/etc/ssh/ssh_host_ed25519_key.pub"
# Who runs pgBackRest, and its home: postgres on a database server; on a repository host a
# user of its own, as pgBackRest's guide advises, so it is never confused with a database.
DATABASE_USER = ("postgres", "/var/lib/postgresql")
REPOSITORY_USER = ("pgbackrest", "/home/pgbackrest")
REPO2 = 2  # a repository host's repository is repo2 of its database servers, on both ends


def data_directory(settings: dict) -> str:
    return f"/var/lib/postgresql/{settings['postgres_major']}/{settings['postgres_cluster']}"


@dataclass(frozen=True)
class Peer:
    """The other end of a backup link, as this host sees it."""
    host: object
    settings: dict
    user: str
    home: str

    @property
    def address(self) -> str:
        return hosts.address(self.host)


def peers(settings: dict) -> list[Peer]:
    """A database server's repository host, or a repository host's database servers."""
    if settings["repository_host"]:
        return [Peer(h, hosts.of(h), *DATABASE_USER) for h in inventory
                if h.data.get("backup_repo2_host") == host.name]
    if settings["backup_repo2_host"] is None:
        return []
    repository = inventory.get_host(settings["backup_repo2_host"])
    return [Peer(repository, hosts.of(repository), *REPOSITORY_USER)]


_pairs: dict[tuple[str, str], keys.KeyPair] = {}  # one per host and user, for every host's deploy


def key_pair(h, user: str, home: str) -> keys.KeyPair:
    """`user`'s key on host `h`: the one it has, or the one this deploy will install."""
    if (h.name, user) not in _pairs:
        current = ssh.public_key(h, f"{home}/.ssh/id_ed25519.pub")
        _pairs[h.name, user] = keys.KeyPair(current, None) if current else keys.generate(f"{user}@{h.name} pgdeploy")
    return _pairs[h.name, user]


@deploy("Backups with pgBackRest")
def configure(settings: dict) -> None:
    repository = settings["repository_host"]
    user, home = REPOSITORY_USER if repository else DATABASE_USER
    linked = peers(settings)
    apt.packages(name="Install pgBackRest", packages=["pgbackrest"], no_recommends=True, update=True,
                 cache_time=3600)
    if repository:
        server.group(name=f"Group {user}", group=user, system=True)
        server.user(name=f"User {user}, who owns the repository", user=user, group=user, home=home,
                    create_home=True, shell="/bin/sh", system=True)
    repo_path = settings["backup_repo2_path" if repository else "backup_repo_path"]
    for path in (repo_path, "/var/log/pgbackrest", *([] if repository else [SPOOL])):
        files.directory(name=f"{path} ({user} only)", path=path, user=user, group=user, mode="750")
    if linked:
        link(user, home, linked)
    configuration(settings, user, linked)
    # archive_mode needs a restart when first turned on: conf_applied does it then, only then.
    if not repository:
        apply_conf(settings, "60-pgdeploy-archive.conf", render("archive.conf.j2", stanza=settings["backup_stanza"]),
                   "WAL archiving to pgBackRest")
        pgbackrest.stanza(name="Create and check the stanza", stanza=settings["backup_stanza"])
    stanzas = [peer.settings["backup_stanza"] for peer in linked] if repository else [settings["backup_stanza"]]
    # pyinfra orders operations per host, and the repository host would pull its first backup
    # while the database server still sets up archiving, or takes its own first backup (one
    # backup of a stanza at a time). Both hosts run both operations, each doing nothing where
    # it does not apply, so every host passes the first before any starts the second.
    pgbackrest.first_backup(name="A first full backup in repo1", stanzas=[] if repository else stanzas, repo=1,
                            user=user)
    pgbackrest.first_backup(name="A first full backup in repo2, pulled by its repository host",
                            stanzas=stanzas if repository else [], repo=REPO2, user=user)
    schedule(settings, user, stanzas, REPO2 if repository else 1)
    if not repository:
        files.template(
            name="The restore drill's script", src=str(TEMPLATES / "restore-drill.sh.j2"), dest=DRILL, mode="755",
            stanza=settings["backup_stanza"], database=settings["app_database"], port=settings["postgres_port"],
            drill_port=settings["backup_drill_port"], drill_directory=settings["backup_drill_directory"],
            data_directory=data_directory(settings), major=settings["postgres_major"], report=DRILL_REPORT,
        )


def link(user: str, home: str, linked: list[Peer]) -> None:
    """SSH between this host's pgBackRest user and each peer's: a key each, the peers' keys
    authorized from their addresses only, and their host keys (read over pyinfra's own
    authenticated connection, not trusted on first use)."""
    files.directory(name=f"{home}/.ssh", path=f"{home}/.ssh", user=user, group=user, mode="700")
    ssh.user_key(name=f"{user}'s SSH key", user=user, path=f"{home}/.ssh/id_ed25519", key=key_pair(host, user, home))
    server.user_authorized_keys(
        name=f"{user} lets in the backup peers' keys only", user=user, group=user, delete_keys=True,
        authorized_key_directory=f"{home}/.ssh",
        public_keys=[keys.authorized_line(key_pair(p.host, p.user, p.home).public, p.address) for p in linked],
    )
    known = "".join(f"{p.address} {keys.key_blob(host_key(p.host))}\n" for p in linked)
    files.put(name=f"{user} knows the backup peers' host keys", src=io.StringIO(known),
              dest=f"{home}/.ssh/known_hosts", user=user, group=user, mode="644")
    # Only those keys, and ssh must not add the peers' other host keys to the file (its
    # UpdateHostKeys default), or every deploy would find it changed.
    config = (f"# Managed by pgdeploy: pgBackRest's SSH link to its peers.\nHost {' '.join(p.address for p in linked)}\n"
              "  StrictHostKeyChecking yes\n  UpdateHostKeys no\n  BatchMode yes\n"
              "  IdentitiesOnly yes\n  IdentityFile ~/.ssh/id_ed25519\n")
    files.put(name=f"{user}'s SSH settings for the backup peers", src=io.StringIO(config),
              dest=f"{home}/.ssh/config", user=user, group=user, mode="644")


def host_key(h) -> str:
    key = ssh.public_key(h, HOST_KEY)
    if key is None:
        raise PyinfraError(f"{h.name} has no {HOST_KEY}; pgBackRest's SSH link needs its ed25519 host key")
    return key


def configuration(settings: dict, user: str, linked: list[Peer]) -> None:
    """pgbackrest.conf (no secrets in it) and the cipher pass of each repository on this host."""
    repository = settings["repository_host"]
    if repository:
        repos = [{"index": REPO2, "path": settings["backup_repo2_path"], "retention_full": settings["backup_retention_full"]}]
        stanzas = [{"name": p.settings["backup_stanza"], "host": p.address, "data_directory": data_directory(p.settings),
                    "port": p.settings["postgres_port"]} for p in linked]
        passes = {REPO2: settings["passwords"]["backup_cipher"]}
    else:
        repos = [{"index": 1, "path": settings["backup_repo_path"], "retention_full": settings["backup_retention_full"]}]
        # repo2's retention is its repository host's (it expires repo2 after each backup there).
        repos += [{"index": REPO2, "host": p.address, "host_user": p.user, "path": p.settings["backup_repo2_path"],
                   "retention_full": p.settings["backup_retention_full"]} for p in linked]
        stanzas = [{"name": settings["backup_stanza"], "data_directory": data_directory(settings),
                    "port": settings["postgres_port"]}]
        passes = {1: settings["passwords"]["backup_cipher"],
                  **{REPO2: p.settings["passwords"]["backup_cipher"] for p in linked}}
    files.template(
        name="pgbackrest.conf (no secrets in it)", src=str(TEMPLATES / "pgbackrest.conf.j2"),
        dest="/etc/pgbackrest/pgbackrest.conf", mode="644",
        jinja_env_kwargs={"trim_blocks": True, "lstrip_blocks": True},
        run_as=user, repos=repos, stanzas=stanzas, process_max=settings["resources"]["cpus"],
        spool_path=None if repository else SPOOL,
    )
    own = REPO2 if repository else 1
    pgbackrest.cipher_pass(name="The repositories' cipher passes", passes=passes, group=user,
                           local={own: repos[0]["path"]}, stanzas=[s["name"] for s in stanzas])


def schedule(settings: dict, user: str, stanzas: list[str], repo: int) -> None:
    """systemd units and timers: weekly full, daily diff, regular checks; a failure logs at crit."""
    units = [
        files.template(name=f"Unit {unit}", src=str(TEMPLATES / "systemd" / f"{unit}.j2"), dest=f"{UNITS}/{unit}",
                       jinja_env_kwargs={"trim_blocks": True, "lstrip_blocks": True},
                       run_as=user, stanzas=stanzas, repo=repo)
        for unit in ("pgbackrest-backup@.service", "pgbackrest-check.service", "pgbackrest-failed@.service")
    ]
    prefix = "backup_repo2_" if repo == REPO2 else "backup_"
    timers = {
        "pgbackrest-full.timer": (f"Weekly full backup into repo{repo}", settings[f"{prefix}full_schedule"],
                                  "pgbackrest-backup@full.service"),
        "pgbackrest-diff.timer": (f"Daily differential backup into repo{repo}", settings[f"{prefix}diff_schedule"],
                                  "pgbackrest-backup@diff.service"),
        "pgbackrest-check.timer": ("Regular pgBackRest check", settings["backup_check_schedule"],
                                   "pgbackrest-check.service"),
    }
    units += [
        files.template(name=f"Timer {timer}", src=str(TEMPLATES / "systemd/pgbackrest.timer.j2"), dest=f"{UNITS}/{timer}",
                       description=description, schedule=calendar, unit=unit)
        for timer, (description, calendar, unit) in timers.items()
    ]
    systemd.daemon_reload(name="Reload systemd for changed units", _if=lambda: any(u.did_change() for u in units))
    for timer in timers:
        systemd.service(name=f"Enable and start {timer}", service=timer, running=True, enabled=True)
