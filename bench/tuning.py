"""Stock postgresql.conf against the deploy's tuned one, side by side in one run on one fresh
disposable server (deployed with the real pyinfra CLI):

  hnsw     CREATE INDEX … USING hnsw (embedding vector_cosine_ops) on N random vector(1536)
           rows: stock session settings on the stock server, then the calculator's
           index-build session settings (tuning.index_build) on the tuned server
  pgbench  select-only and tpcb-like TPS at a scale larger than stock shared_buffers

    sudo .venv/bin/python bench/tuning.py [--rows 20000] [--scale 20] [--seconds 30]
"""

from __future__ import annotations

import argparse
import re
import runpy
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.remote import Remote, deployed_server  # noqa: E402
from pgcore import settings as schema, tuning  # noqa: E402

CONF = "/etc/postgresql/15/main/conf.d/50-pgdeploy.conf"
PSQL = "cd / && runuser -u postgres -- psql -XAtq -v ON_ERROR_STOP=1 -d bench"
PGBENCH = "cd / && runuser -u postgres -- /usr/lib/postgresql/15/bin/pgbench -n bench"


def sql(server: Remote, statement: str) -> str:
    return server.run(f"{PSQL} <<'SQL'\n{statement}\nSQL")


def hnsw_seconds(server: Remote, session: dict[str, str]) -> float:
    sets = "".join(f"SET {name} = '{value}'; " for name, value in session.items())
    sql(server, "DROP INDEX IF EXISTS items_embedding;")
    start = time.monotonic()
    sql(server, f"{sets}CREATE INDEX items_embedding ON items USING hnsw (embedding vector_cosine_ops);")
    return time.monotonic() - start


def tps(server: Remote, builtin: str, seconds: int) -> float:
    out = server.run(f"{PGBENCH} -b {builtin} -c 4 -j 2 -T {seconds} 2>&1")
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def measure(server: Remote, session: dict[str, str], seconds: int) -> dict[str, float]:
    server.run("runuser -u postgres -- psql -XAtq -d bench -c 'SELECT pg_prewarm(c.oid) FROM pg_class c "
               "WHERE relname LIKE $$pgbench_%$$' >/dev/null")
    return {"hnsw": hnsw_seconds(server, session), "select": tps(server, "select-only", seconds),
            "tpcb": tps(server, "tpcb-like", seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000, help="vector(1536) rows to index")
    parser.add_argument("--scale", type=int, default=20, help="pgbench scale (15 MB per unit)")
    parser.add_argument("--seconds", type=int, default=30, help="each pgbench run")
    args = parser.parse_args()
    with deployed_server() as server:
        settings = schema.resolve(runpy.run_path(str(PROJECT / "group_data/all.py")), "12")
        inputs, _ = tuning.host_inputs(tuning.parse_resources(server.run(tuning.RESOURCES_COMMAND).splitlines()),
                                       settings)
        build = {k: tuning.format_value(k, v)
                 for k, v in tuning.index_build(inputs, tuning.compute(inputs)).items()}
        server.run("runuser -u postgres -- createdb bench && "
                   f"{PSQL} -c 'CREATE EXTENSION vector; CREATE EXTENSION pg_prewarm' && "
                   f"{PGBENCH} -i -q -s {args.scale} >/dev/null 2>&1")
        sql(server, "CREATE TABLE items (id int, embedding vector(1536)); "
                   "INSERT INTO items SELECT g.i, (SELECT array_agg(random()) FROM generate_series(1, 1536) s(j) WHERE g.i > 0)"
                   f"::vector FROM generate_series(1, {args.rows}) g(i); VACUUM ANALYZE items;")
        # Stock: the same server without the managed file (Debian's postgresql.conf only).
        server.run(f"mv {CONF} /root/tuned.conf && printf \"listen_addresses = 'localhost'\\n\" > {CONF} "
                   "&& systemctl restart postgresql@15-main")
        stock = measure(server, {}, args.seconds)
        stock_shared = sql(server, "SHOW shared_buffers;").strip()
        server.run(f"mv /root/tuned.conf {CONF} && systemctl restart postgresql@15-main")
        tuned = measure(server, build, args.seconds)
        tuned_shared = sql(server, "SHOW shared_buffers;").strip()
    size = args.scale * 15
    print(f"server: {inputs.memory_kb // 1024} MiB, {inputs.cpus} CPUs; pgbench scale {args.scale} (~{size} MB)")
    print(f"shared_buffers: stock {stock_shared}, tuned {tuned_shared}")
    print(f"index-build session: {', '.join(f'{k}={v}' for k, v in build.items())}")
    print(f"HNSW build, {args.rows} rows:  stock {stock['hnsw']:7.1f} s   tuned {tuned['hnsw']:7.1f} s   "
          f"({stock['hnsw'] / tuned['hnsw']:.2f}x faster)")
    for key, label in (("select", "select-only"), ("tpcb", "tpcb-like")):
        print(f"pgbench {label:12} stock {stock[key]:9.0f} tps  tuned {tuned[key]:9.0f} tps  "
              f"({tuned[key] / stock[key]:.2f}x)")


if __name__ == "__main__":
    main()
