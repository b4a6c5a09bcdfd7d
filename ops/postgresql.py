"""PostgreSQL clusters on Debian (postgresql-common): a fact and an operation, shaped like
pyinfra's own. pyinfra has no operation for creating a cluster with initdb options."""

from __future__ import annotations

import io
import shlex
import uuid

from pyinfra import host
from pyinfra.api import FactBase, FileUploadCommand, StringCommand, operation
from pyinfra.facts.files import Sha256File

from pgcore import pgconf, tuning


class PostgresClusters(FactBase):
    """
    The clusters Debian's postgresql-common knows, keyed by "<major>/<name>".

    .. code:: python

        {"15/main": {"port": 5432, "status": "online", "owner": "postgres",
                     "data_directory": "/var/lib/postgresql/15/main", "checksums": True}}
    """

    default = dict

    def requires_command(self) -> str:
        return "pg_lsclusters"

    def command(self) -> str:
        # One round trip for the list and each cluster's checksum state.
        return (
            "pg_lsclusters --no-header | while read -r ver name port status owner dir rest; do "
            'sum=$(/usr/lib/postgresql/$ver/bin/pg_controldata -D "$dir" 2>/dev/null '
            "| sed -n 's/^Data page checksum version: *//p'); "
            'echo "$ver $name $port $status $owner $dir ${sum:-?}"; done'
        )

    def process(self, output):
        clusters = {}
        for line in output:
            ver, name, port, status, owner, data_dir, checksum = line.split()[:7]
            clusters[f"{ver}/{name}"] = {
                "port": int(port), "status": status, "owner": owner, "data_directory": data_dir,
                "checksums": None if checksum == "?" else checksum != "0",
            }
        return clusters


@operation()
def cluster(version: int, cluster_name: str = "main", port: int = 5432, locale: str = "C.UTF-8",
            encoding: str = "UTF8", data_checksums: bool = True):
    """
    Create a PostgreSQL cluster with Debian's ``pg_createcluster``, if it does not exist.

    + version: PostgreSQL major version (its server package must be installed)
    + cluster_name: cluster name
    + port: port written into the cluster's postgresql.conf
    + locale, encoding: passed to initdb; fixed once the cluster exists
    + data_checksums: initdb ``--data-checksums``

    An existing cluster is left as it is: initdb settings cannot change after creation.

    **Example:**

    .. code:: python

        postgresql.cluster(name="Create the main cluster", version=15, port=5432)
    """
    clusters = host.get_fact(PostgresClusters)
    key = f"{version}/{cluster_name}"
    if key in clusters:
        host.noop(f"cluster {key} exists")
        return
    args = ["pg_createcluster", str(version), cluster_name, "--port", str(port),
            "--locale", locale, "--encoding", encoding]
    if data_checksums:
        args += ["--", "--data-checksums"]
    yield StringCommand(*args)
    clusters[key] = {"port": port, "status": "down", "checksums": data_checksums}


def psql(port: int, database: str = "postgres") -> str:
    """psql as the postgres superuser over the local socket (peer auth), failing on any error.
    `database` is quoted for the shell unless it is a shell variable such as "$db"."""
    target = f'"{database}"' if database.startswith("$") else shlex.quote(database)
    return f"runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -p {int(port)} -d {target}"


# Root-only (0700), on tmpfs: SQL that carries a password verifier waits here for psql.
SQL_DIR = "/run/pgdeploy"


def secret_file(content: bytes, dest: str, mode: str, user: str, group: str):
    """Commands that install `content` (a secret) at `dest`, in a directory that exists: uploaded
    into a root-only directory, then moved into place with its mode and owner, so it is never
    readable by others on the way and never in a command line."""
    staged = f"{SQL_DIR}/{uuid.uuid4().hex}"
    yield StringCommand(f"install -d -m 700 {SQL_DIR}")
    yield FileUploadCommand(io.BytesIO(content), staged)
    yield StringCommand(f"install -m {mode} -o {user} -g {group} {staged} {dest}; rc=$?; rm -f {staged}; exit $rc")


def sql_on_stdin(sql: str, port: int, database: str = "postgres"):
    """Commands that run `sql` in one psql session, fed on stdin from a file in a root-only
    directory: never in a command line, where any user's `ps` would show it."""
    path = f"{SQL_DIR}/{uuid.uuid4().hex}.sql"
    yield StringCommand(f"install -d -m 700 {SQL_DIR}")
    yield FileUploadCommand(io.BytesIO(sql.encode()), path)
    yield StringCommand(f"{psql(port, database)} < {path}; rc=$?; rm -f {path}; exit $rc")


class PostgresExtensions(FactBase):
    """
    The extensions installed in one database, with their versions.

    .. code:: python

        {"plpgsql": "1.0", "vector": "0.8.0"}
    """

    default = dict

    def command(self, database: str, port: int = 5432) -> str:
        # A database that does not exist yet has no extensions.
        return (f"{psql(port, database)} -F ' ' -c 'SELECT extname, extversion FROM pg_extension' "
                f"2>/dev/null || true")

    def process(self, output):
        return dict(line.split(" ", 1) for line in output if " " in line)


@operation()
def extension(database: str, extension_name: str, port: int = 5432):
    """
    Create an extension in a database, as the superuser, if it is not there.

    + database: the database
    + extension_name: the extension, e.g. "vector"
    + port: the cluster's port

    **Example:**

    .. code:: python

        postgresql.extension(name="Create pgvector", database="chat", extension_name="vector")
    """
    extensions = host.get_fact(PostgresExtensions, database=database, port=port)
    if extension_name in extensions:
        host.noop(f"extension {extension_name} exists in {database}")
        return
    sql = f'CREATE EXTENSION IF NOT EXISTS "{extension_name}"'
    yield f"{psql(port, database)} -c {shlex.quote(sql)}"
    extensions[extension_name] = "?"


class HostResources(FactBase):
    """
    RAM (kB), the cgroup memory limit (kB, None when unlimited) and online CPUs, in one round
    trip (pgcore.tuning.RESOURCES_COMMAND).

    .. code:: python

        {"memory_kb": 24683520, "cgroup_limit_kb": None, "cpus": 2}
    """

    def command(self) -> str:
        return tuning.RESOURCES_COMMAND

    def process(self, output):
        return tuning.parse_resources(output)


class PostgresCatalog(FactBase):
    """
    Every setting an installed PostgreSQL major knows (``postgres --describe-config``), or None.

    .. code:: python

        {"shared_buffers": Parameter(context="postmaster", vartype="INTEGER", minimum=16, maximum=1073741823)}
    """

    def command(self, major: int) -> str:
        binary = f"/usr/lib/postgresql/{int(major)}/bin/postgres"
        return f"if [ -x {binary} ]; then {binary} --describe-config; fi"

    def process(self, output):
        return pgconf.parse_catalog(output) or None


@operation()
def conf_applied(version: int, cluster_name: str, staged: str, sha256: str, file: str = "50-pgdeploy.conf"):
    """
    Make the staged settings file the cluster's live conf.d file, and put it in effect.

    The new file is checked with ``postgres -C`` before it can take effect; on error the
    previous file is put back and the operation fails with PostgreSQL's message, so the
    server can always start. A running cluster is then reloaded, and restarted only when a
    changed setting needs it (``pg_settings.pending_restart``, i.e. postmaster context).

    + version, cluster_name: the cluster
    + staged: path of the staged file on the server
    + sha256: the staged content's sha256 (the live file matches it: no change)
    + file: the live file's name in the cluster's conf.d

    **Example:**

    .. code:: python

        postgresql.conf_applied(name="Apply settings", version=15, cluster_name="main",
                                staged="/etc/postgresql/15/main/pgdeploy.conf.staged", sha256=digest)
    """
    live = f"/etc/postgresql/{int(version)}/{cluster_name}/conf.d/{file}"
    if host.get_fact(Sha256File, path=live) == sha256:
        host.noop(f"{live} is up to date")
        return
    psql_ = "runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -p \"$port\" -d postgres"
    yield StringCommand(f"""set -e
live={live}; ver={int(version)}; name={shlex.quote(cluster_name)}
[ -f "$live" ] && cp -p "$live" "$live.prev"
install -o postgres -g postgres -m 644 {shlex.quote(staged)} "$live"
if ! out=$(cd / && runuser -u postgres -- /usr/lib/postgresql/$ver/bin/postgres -D /etc/postgresql/$ver/$name -C port 2>&1); then
  if [ -f "$live.prev" ]; then mv "$live.prev" "$live"; else rm -f "$live"; fi
  echo "PostgreSQL rejected the new settings; the previous file is back in place:" >&2
  echo "$out" | grep -E 'LOG|FATAL|HINT|DETAIL' | grep -v 'could not change directory' >&2
  exit 1
fi
rm -f "$live.prev"
set -- $(pg_lsclusters --no-header "$ver" "$name")
if [ "$4" = online ]; then
  port=$(sed -n 4p "$6/postmaster.pid")  # the running server's port, even when the new file changes it
  before=$({psql_} -c 'SELECT pg_conf_load_time()')
  pg_ctlcluster "$ver" "$name" reload
  for i in $(seq 100); do [ "$({psql_} -c 'SELECT pg_conf_load_time()')" != "$before" ] && break; sleep 0.05; done
  if [ "$({psql_} -c 'SELECT count(*) FROM pg_settings WHERE pending_restart')" != 0 ]; then
    systemctl restart "postgresql@$ver-$name"; echo "restarted: a changed setting needs it"
  else
    echo "reloaded"
  fi
fi""")
