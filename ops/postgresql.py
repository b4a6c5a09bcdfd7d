"""PostgreSQL clusters on Debian (postgresql-common): a fact and an operation, shaped like
pyinfra's own. pyinfra has no operation for creating a cluster with initdb options."""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import FactBase, StringCommand, operation


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
