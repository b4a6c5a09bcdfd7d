"""pgBackRest against pg_dump, side by side in one run on one fresh disposable server
(deployed with the real pyinfra CLI), on a generated database of about 2 GB (pgbench -s 130):

  backup   a pgBackRest full backup (process-max = CPUs, zstd, encrypted) against pg_dump -Fc
  restore  pgbackrest restore into a scratch directory against pg_restore into a new database

    sudo .venv/bin/python bench/backups.py [--scale 130]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.remote import deployed_server  # noqa: E402

AS_POSTGRES = "cd / && runuser -u postgres --"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=130, help="pgbench scale (about 15 MB per unit)")
    args = parser.parse_args()
    with deployed_server() as server:
        run = server.timed
        run(f"{AS_POSTGRES} createdb bench && {AS_POSTGRES} /usr/lib/postgresql/15/bin/pgbench -i -q "
            f"-s {args.scale} bench >/dev/null 2>&1 && {AS_POSTGRES} psql -XAtq -c CHECKPOINT")
        size = server.run(f"{AS_POSTGRES} psql -XAt -c \"SELECT pg_size_pretty(pg_database_size('bench'))\"").strip()
        cpus = server.run("nproc").strip()
        backrest = run(f"{AS_POSTGRES} pgbackrest --stanza=main --repo=1 --type=full backup")
        # The same with zstd's fastest level, the trade an operator can make for speed.
        fastest = run(f"{AS_POSTGRES} pgbackrest --stanza=main --repo=1 --type=full --compress-level=1 backup")
        lz4 = run(f"{AS_POSTGRES} pgbackrest --stanza=main --repo=1 --type=full --compress-type=lz4 backup")
        dump = run(f"{AS_POSTGRES} pg_dump -Fc -d bench -f /var/tmp/bench.dump")
        restore_backrest = run("install -d -o postgres -m 700 /var/tmp/restore && "
                               f"{AS_POSTGRES} pgbackrest --stanza=main --pg1-path=/var/tmp/restore "
                               "--archive-mode=off --type=immediate restore")
        restore_dump = run(f"{AS_POSTGRES} createdb bench_restored && "
                           f"{AS_POSTGRES} pg_restore -j {cpus} -d bench_restored /var/tmp/bench.dump")
    print(f"database: bench, {size} (pgbench scale {args.scale}); {cpus} CPUs")
    print(f"backup:  pgBackRest full {backrest:6.1f} s   pg_dump -Fc {dump:6.1f} s   "
          f"({dump / backrest:.2f}x faster)")
    print(f"backup:  pgBackRest full, --compress-level=1 {fastest:6.1f} s   ({dump / fastest:.2f}x faster than pg_dump)")
    print(f"backup:  pgBackRest full, --compress-type=lz4    {lz4:6.1f} s   ({dump / lz4:.2f}x faster than pg_dump)")
    print(f"restore: pgBackRest      {restore_backrest:6.1f} s   pg_restore  {restore_dump:6.1f} s   "
          f"({restore_dump / restore_backrest:.2f}x faster)")


if __name__ == "__main__":
    main()
