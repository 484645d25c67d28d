#!/usr/bin/env python3
"""Locate in PostGIS, for comparison with gridhub's in-memory index (BENCHMARKS.md).

The same synthetic cells and random points as `cargo bench -p gridhub-geo --bench locate`,
written by `cargo run --release -p gridhub-geo --example synthetic_grid -- SIDE DIR`, are loaded
into PostGIS with a GiST index; each point is then located with a prepared `ST_Contains` query on
one connection, one query at a time, as a service would. Prints median, p99 and mean, and the
same for a prepared `SELECT 1` (the client round trip alone).

Needs PostGIS (Debian: postgresql-15-postgis-3) and `pip install 'psycopg[binary]'`.
Usage: bench/postgis_locate.py [--url URL] [--dir DIR] [--sides 100,316,1000] [--queries 20000] [--keep]

With --keep the tables stay, for pgbench (a C client, less overhead per query):
  pgbench -n -M prepared -c 1 -T 20 -f bench/postgis_locate.pgbench -D side=1000 \
    "postgresql://postgres@127.0.0.1/gridhub_bench?sslmode=disable"
"""
import argparse
import statistics
import time

import psycopg


def timed(cur, sql, params_list):
    out = []
    for params in params_list:
        t = time.perf_counter_ns()
        cur.execute(sql, params, prepare=True)
        cur.fetchone()
        out.append(time.perf_counter_ns() - t)
    return out


def summary(ns):
    ns = sorted(ns)
    return statistics.median(ns) / 1000, ns[int(len(ns) * 0.99)] / 1000, statistics.mean(ns) / 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--dir", default="target/synthetic")
    ap.add_argument("--sides", default="100,316,1000")
    ap.add_argument("--queries", type=int, default=20000)
    ap.add_argument("--keep", action="store_true", help="keep the gridhub_bench database (for pgbench)")
    args = ap.parse_args()

    with psycopg.connect(args.url, autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS gridhub_bench WITH (FORCE)")
        admin.execute("CREATE DATABASE gridhub_bench")
    url = args.url.split("?")[0].rsplit("/", 1)[0] + "/gridhub_bench"
    # no TLS on loopback: measure PostGIS, not encryption
    with psycopg.connect(url, autocommit=True, sslmode="disable") as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION postgis")
        print("| cells | PostGIS median | p99 | mean | SELECT 1 median | server-side execution, median |")
        print("|---:|---:|---:|---:|---:|---:|")
        for side in [int(s) for s in args.sides.split(",")]:
            table = f"cells_{side}"
            cur.execute(f"CREATE TABLE {table} (id text, geom geometry(MultiPolygon, 4326))")
            with open(f"{args.dir}/cells-{side}.csv", "rb") as f, cur.copy(f"COPY {table} FROM STDIN") as copy:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
            cur.execute(f"CREATE INDEX ON {table} USING gist (geom)")
            cur.execute(f"ANALYZE {table}")
            with open(f"{args.dir}/points-{side}.csv") as f:
                points = [tuple(float(v) for v in line.split()) for line in f][: args.queries]
            sql = f"SELECT id FROM {table} WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326)) LIMIT 1"
            timed(cur, sql, points[:1000])  # warm up: plan prepared, index pages cached
            med, p99, mean = summary(timed(cur, sql, points))
            ping, _, _ = summary(timed(cur, "SELECT %s::int", [(1,)] * len(points)))
            server = []
            for params in points[:2000]:  # the server's own time, without the round trip
                cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                server.append(cur.fetchone()[0][0]["Execution Time"] * 1000)
            cur.execute(f"SELECT count(*) FROM {table}")
            print(
                f"| {cur.fetchone()[0]:,} | {med:.1f} µs | {p99:.1f} µs | {mean:.1f} µs | {ping:.1f} µs | "
                f"{statistics.median(server):.1f} µs |",
                flush=True,
            )
    if not args.keep:
        with psycopg.connect(args.url, autocommit=True) as admin:
            admin.execute("DROP DATABASE gridhub_bench WITH (FORCE)")


if __name__ == "__main__":
    main()
