#!/usr/bin/env python3
"""The first pull of a large area: the demo's 400 cells with 100,000 cases (each with its report
event) written straight into the database, then the first sync of the district admin (every
cell), a street office, a community office and a grid worker, each read to the end as a phone
would (the cases are reported by a resident, whose own reports no one of them pulls). Prints the
time of each, the
size of the answer, and how much the server's resident memory grew (VmHWM, its peak, before and
after).

    cargo build --release -p gridhub
    bench/first_pull.py                                  # SQLite in a temporary directory
    bench/first_pull.py --database-url postgres://postgres@127.0.0.1:5432/gridhub_pull
                                                         # an empty PostgreSQL database

Standard library only; PostgreSQL through `psql`.
"""

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from benchdb import CELLS, bulk_insert, free_port, query, wait_ready


def memory(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) // 1024  # MiB
    return 0


def login(base, username):
    req = urllib.request.Request(base + "/api/v1/auth/login", method="POST",
                                 data=json.dumps({"username": username, "password": "gridhub-demo"}).encode(),
                                 headers={"content-type": "application/json"})
    return json.load(urllib.request.urlopen(req))["access_token"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "gridhub"))
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--keep", action="store_true", help="keep the SQLite database (its path is printed)")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="gridhub-pull-")
    url = args.database_url or f"sqlite://{work}/gridhub.db"
    env = dict(os.environ, GRIDHUB_DATABASE_URL=url, GRIDHUB_DATA_DIR=f"{work}/data", GRIDHUB_LOG="warn")
    subprocess.run([args.bin, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)

    cells = query(url, CELLS)
    reporter = query(url, "SELECT id FROM users WHERE username = 'resident.chen'")[0][0]
    print(f"writing {args.cases} cases over {len(cells)} cells …", flush=True)
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    stamp = int(time.time() * 1000)
    cases, events = [], []
    for n in range(args.cases):
        cell, community, street, district, lng, lat = cells[n % len(cells)]
        case = f"pull{n:012d}"
        cases.append((case, district, street, community, cell, "field_report", "SJ0102", f"第{n}处垃圾堆放",
                      "人行道上有垃圾", float(lng), float(lat), reporter, "normal", "[]", now, now, "reported", now,
                      now, 1, now, stamp, stamp))
        events.append((f"pullev{n:012d}", case, "report", "reported", reporter, "grid_worker", "[]", "{}", now, stamp,
                       now))
    tables = [
        ("cases", "id, district_id, street_id, community_id, cell_id, source, category_code, title, description, "
                  "lng, lat, reporter_id, priority, attachments, reported_at, received_at, status, step_started_at, "
                  "deadline_at, version, updated_at, sync_ms, created_ms", cases),
        ("case_events", "id, case_id, action, to_status, actor_id, actor_role, attachments, data, at, sync_ms, "
                        "occurred_at", events),
    ]
    bulk_insert(url, tables, then=f"UPDATE sync_clock SET last_ms = {stamp}", analyze=True)

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.bin, "serve", "--bind", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(base)
        for who in ["donghu.admin", "gongyuan.office", "ruziting.admin", "worker.li"]:
            token = login(base, who)
            before = memory(server.pid, "VmHWM")
            rss = memory(server.pid, "VmRSS")
            t0 = time.perf_counter()
            req = urllib.request.Request(base + "/api/v1/sync?last_pulled_at=null&schema_version=1",
                                         headers={"authorization": f"Bearer {token}"})
            size = 0
            with urllib.request.urlopen(req, timeout=600) as res:
                while chunk := res.read(1 << 16):
                    size += len(chunk)
            took = time.perf_counter() - t0
            after = memory(server.pid, "VmHWM")
            print(f"{who}: first pull {took:.2f} s, {size / 1e6:.1f} MB; server memory {rss} MiB before, "
                  f"peak {after} MiB after (+{after - max(before, rss)} MiB over the earlier peak)", flush=True)
    finally:
        server.terminate()
        server.wait()
        if args.keep:
            print(f"kept: {url}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
