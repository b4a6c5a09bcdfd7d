"""Backups with pgBackRest: WAL archiving, an encrypted repository, scheduled full and diff
backups and checks (systemd timers), and the restore drill's script."""

from __future__ import annotations

from pathlib import Path

from pyinfra.api import deploy
from pyinfra.operations import apt, files, systemd

from ops import pgbackrest
from pgcore.templates import render
from tasks.postgresql import apply_conf

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
UNITS = "/etc/systemd/system"
DRILL = "/usr/local/sbin/pgdeploy-restore-drill"
DRILL_REPORT = "/var/log/pgdeploy/restore-drill.json"  # the last drill's report


def data_directory(settings: dict) -> str:
    return f"/var/lib/postgresql/{settings['postgres_major']}/{settings['postgres_cluster']}"


@deploy("Backups with pgBackRest")
def configure(settings: dict) -> None:
    stanza, repo = settings["backup_stanza"], settings["backup_repo_path"]
    apt.packages(name="Install pgBackRest", packages=["pgbackrest"], no_recommends=True, update=True,
                 cache_time=3600)
    for path in (repo, "/var/spool/pgbackrest", "/var/log/pgbackrest"):
        files.directory(name=f"{path} (postgres only)", path=path, user="postgres", group="postgres", mode="750")
    files.template(
        name="pgbackrest.conf (no secrets in it)", src=str(TEMPLATES / "pgbackrest.conf.j2"),
        dest="/etc/pgbackrest/pgbackrest.conf", mode="644",
        stanza=stanza, repo_path=repo, retention_full=settings["backup_retention_full"],
        process_max=settings["resources"]["cpus"], spool_path="/var/spool/pgbackrest",
        data_directory=data_directory(settings), port=settings["postgres_port"],
    )
    pgbackrest.cipher_pass(name="The repository's cipher pass", passphrase=settings["passwords"]["backup_cipher"],
                           stanza=stanza, repo_path=repo)
    # archive_mode needs a restart when first turned on: conf_applied does it then, only then.
    apply_conf(settings, "60-pgdeploy-archive.conf", render("archive.conf.j2", stanza=stanza),
               "WAL archiving to pgBackRest")
    pgbackrest.stanza(name="Create and check the stanza", stanza=stanza)
    pgbackrest.first_backup(name="A first full backup", stanza=stanza)
    schedule(settings)
    files.template(
        name="The restore drill's script", src=str(TEMPLATES / "restore-drill.sh.j2"), dest=DRILL, mode="755",
        stanza=stanza, database=settings["app_database"], port=settings["postgres_port"],
        drill_port=settings["backup_drill_port"], drill_directory=settings["backup_drill_directory"],
        data_directory=data_directory(settings), major=settings["postgres_major"], report=DRILL_REPORT,
    )


def schedule(settings: dict) -> None:
    """systemd units and timers: weekly full, daily diff, regular checks; a failure logs at crit."""
    stanza = settings["backup_stanza"]
    units = [
        files.template(name=f"Unit {unit}", src=str(TEMPLATES / "systemd" / f"{unit}.j2"), dest=f"{UNITS}/{unit}",
                       stanza=stanza)
        for unit in ("pgbackrest-backup@.service", "pgbackrest-check.service", "pgbackrest-failed@.service")
    ]
    timers = {
        "pgbackrest-full.timer": ("Weekly full backup", settings["backup_full_schedule"], "pgbackrest-backup@full.service"),
        "pgbackrest-diff.timer": ("Daily differential backup", settings["backup_diff_schedule"],
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
