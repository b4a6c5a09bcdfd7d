"""The restore drill: `pyinfra inventories/<env>.py restore_drill.py`, optionally with a
point-in-time target and a repository: `pyinfra ... restore_drill.py --data
restore_target="2026-12-03 21:30:00+00" --data restore_repo=2`.

It restores the latest backup (or the target) into a scratch directory on each database
server, starts it read-only on its own port, compares every table with the live database up
to the target, reports the restore time and the RPO (age of the newest archived WAL) as JSON,
and removes the scratch copy. It never touches the live cluster's data directory or port.
"""

import shlex

from pyinfra.operations import server

from tasks import settings
from tasks.backups import DRILL

config = settings.current()
target, repo = config["restore_target"], config["restore_repo"]

if not config["repository_host"]:
    server.shell(
        name="Restore drill" + (f" to {target}" if target else " of the latest backup")
        + (f" from repo{repo}" if repo else ""),
        commands=[" ".join([DRILL, *([f"--repo={repo}"] if repo else []), *([shlex.quote(target)] if target else [])])],
    )
