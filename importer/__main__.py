"""Import a Convex snapshot export (the ZIP of `npx convex export`) into users, chat_sessions
and messages.

    python -m importer snapshot.zip [--dsn DSN] [--mapping FILE] [--rejects FILE] [--allow-rejects]
                                    [--workers N]

The DSN takes no password: libpq's PG* environment variables, ~/.pgpass or PGPASSFILE supply
it, as they do for psql. Exit status: 0 imported, 1 something was rejected (unless
--allow-rejects), 2 bad input or the database refused.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import psycopg

from pgcore.convex_mapping import Mapping, MappingError

from .export import Export, ExportError
from .load import run
from .progress import Reporter
from .rejects import Rejects
from .summary import render


def parse(argv: list[str] | None) -> argparse.Namespace:
    description, _, epilog = __doc__.partition("\n\n")
    parser = argparse.ArgumentParser(prog="python -m importer", description=description,
                                     epilog=epilog.partition("\n\n")[2],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("snapshot", help="the ZIP written by `npx convex export --path snapshot.zip`")
    parser.add_argument("--dsn", default="", help="libpq connection string or URI (default: PG* variables)")
    parser.add_argument("--mapping", help="JSON file renaming Convex tables and fields")
    parser.add_argument("--rejects", help="JSONL file of rejected documents (default: SNAPSHOT.rejects.jsonl)")
    parser.add_argument("--allow-rejects", action="store_true", help="exit 0 even when documents were rejected")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes parsing the large tables (default: one per CPU but one, "
                             "none on two CPUs or fewer; 1: parse in this process)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    rejects_path = args.rejects or str(Path(args.snapshot).with_suffix(".rejects.jsonl"))
    try:
        mapping = Mapping.load(args.mapping) if args.mapping else Mapping.default()
        with Export(args.snapshot) as export, psycopg.connect(args.dsn) as conn, \
                Rejects(rejects_path) as rejects, Reporter() as reporter:
            counts = run(export, conn, mapping, rejects, reporter, args.workers)
    except (MappingError, ExportError) as error:
        print(f"importer: {error}", file=sys.stderr)
        return 2
    except psycopg.Error as error:
        print(f"importer: database: {str(error).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    print(render(counts))
    rejected = sum(c.rejected_total for c in counts)
    if rejected:
        print(f"{rejected:,} documents rejected; see {rejects_path}", file=sys.stderr)
    if not all(c.reconciles() for c in counts):
        return 2
    return 1 if rejected and not args.allow_rejects else 0


if __name__ == "__main__":
    sys.exit(main())
