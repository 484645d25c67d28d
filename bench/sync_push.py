#!/usr/bin/env python3
"""Sync load: simulated phones pushing reports through WatermelonDB's protocol, against a real
gridhub serving the demo data and a history of 100,000 reports, then every row those pushes
wrote — per report a case, its timeline event and its reporter row — written again by a plain
bulk insert (multi-row INSERTs of 500, one transaction) into the same indexed tables of the same
database. The ratio shows what the protocol (checks, placement, idempotency, the clock, one
transaction per push, HTTP) costs over the bare writes. Each phone logs in and pulls once
before the clock starts; what is timed is the pushes, all phones at once.

    cargo build --release -p gridhub
    bench/sync_push.py                                   # SQLite in a temporary directory
    bench/sync_push.py --database-url postgres://postgres@127.0.0.1:5432/gridhub_bench
                                                         # an empty PostgreSQL database

Prints reports/s, p50/p99 push latency, errors, the CPU seconds of gridhub, the phones and
PostgreSQL during the pushes, and the bulk insert's reports/s. Standard library only; the PostgreSQL bulk insert goes through `psql`. `--phones 1000` for the peak.
"""

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid

from benchdb import CELLS, bulk_insert, free_port, query, wait_ready

PASSWORD = "bench-phone-pass"


def call(base, method, path, token=None, body=None, content_type="application/json"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(base + path, data=data, method=method)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    if data is not None:
        req.add_header("content-type", content_type)
    with urllib.request.urlopen(req, timeout=120) as res:
        text = res.read()
        return json.loads(text) if text else None


def cpu_seconds(pid=None, comm=None):
    """CPU time (user + system) of one process, or of every process with that command name."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in ([str(pid)] if pid else [d for d in os.listdir("/proc") if d.isdigit()]):
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if comm is None or name == comm:
            total += (int(rest[11]) + int(rest[12])) / tick
    return total


def rows(count, prefix, cells, reporter):
    """What `count` reports write, table by table: a case, its timeline event, its reporter row;
    `cells` are (cell, community, street, district, lng, lat), taken in turn."""
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    cases, events, reporters = [], [], []
    for n in range(count):
        case = f"{prefix}{uuid.uuid4().hex[:16]}"
        cell, community, street, district, lng, lat = cells[n % len(cells)]
        cases.append((case, cell, community, street, district, "field_report", "SJ0102", "垃圾堆放", "", lng, lat,
                      reporter, "normal", "[]", now, now, "reported", now, now, 1, now, 10**12 + n, 10**12 + n))
        events.append((f"ev{uuid.uuid4().hex[:16]}", case, "report", "reported", reporter, "grid_worker", "[]", "{}",
                       now, 10**12 + n, now))
        reporters.append((case, reporter, case, now))
    return [
        ("cases", "id, cell_id, community_id, street_id, district_id, source, category_code, title, description, lng, lat, reporter_id, priority, "
                  "attachments, reported_at, received_at, status, step_started_at, deadline_at, version, updated_at, "
                  "sync_ms, created_ms", cases),
        ("case_events", "id, case_id, action, to_status, actor_id, actor_role, attachments, data, at, sync_ms, "
                        "occurred_at", events),
        ("case_reporters", "case_id, user_id, via_case, at", reporters),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "gridhub"))
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--phones", type=int, default=200)
    ap.add_argument("--reports", type=int, default=50, help="per phone")
    ap.add_argument("--history", type=int, default=100000, help="reports already in the database")
    ap.add_argument("--batch", type=int, default=10, help="reports per push")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="gridhub-bench-")
    url = args.database_url or f"sqlite://{work}/gridhub.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, GRIDHUB_DATABASE_URL=url, GRIDHUB_DATA_DIR=f"{work}/data", GRIDHUB_LOG="warn",
               GRIDHUB_LOGIN_PER_MINUTE_PER_ADDRESS="100000", GRIDHUB_DB_POOL_SIZE="16")
    subprocess.run([args.bin, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    community = query(url, "SELECT scope_id FROM users WHERE username = 'worker.li'")[0][0]
    reporter = query(url, "SELECT id FROM users WHERE username = 'resident.chen'")[0][0]
    cells = query(url, CELLS)
    ours = [c for c in cells if c[1] == community]
    points = [(float(c[4]), float(c[5])) for c in ours]
    # a city's database has a history (and the planner statistics of one: without them PostgreSQL
    # plans the lookups of a nearly empty table as sequential scans, and keeps those plans), in
    # the cells of the other communities, so that the phones' first pulls stay small
    print(f"a history of {args.history} reports …", flush=True)
    bulk_insert(url, rows(args.history, "hist", [c for c in cells if c[1] != community], reporter), analyze=True)
    server = subprocess.Popen([args.bin, "serve", "--bind", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL)
    try:
        wait_ready(base)
        admin = call(base, "POST", "/api/v1/auth/login", body={"username": "admin", "password": "gridhub-demo"})["access_token"]
        print(f"making {args.phones} phones …", flush=True)
        tokens, lasts = [], []
        for k in range(args.phones):
            name = f"bench.phone.{k}"
            call(base, "POST", "/api/v1/users", admin, {"username": name, "password": PASSWORD, "display_name": name,
                                                         "role": "grid_worker", "scope_id": community})
            tokens.append(call(base, "POST", "/api/v1/auth/login", body={"username": name, "password": PASSWORD})["access_token"])
            # each phone's first sync, before the clock starts: what is measured is the pushes
            lasts.append(call(base, "GET", "/api/v1/sync?last_pulled_at=null&schema_version=1", tokens[-1])["timestamp"])

        latencies, errors, lock = [], [], threading.Lock()

        def phone(k):
            token = tokens[k]
            last = lasts[k]
            for b in range(args.reports // args.batch):
                records = [{
                    "id": f"b{k}x{b}x{i}", "category_code": "SJ0102", "title": "垃圾堆放", "description": "",
                    "lng": points[(k + i) % len(points)][0], "lat": points[(k + i) % len(points)][1], "crs": "wgs84",
                    "priority": "normal", "reported_at": int(time.time() * 1000), "_status": "created", "_changed": "",
                } for i in range(args.batch)]
                body = json.dumps({"cases": {"created": records, "updated": [], "deleted": []}}).encode()
                t = time.perf_counter()
                try:
                    call(base, "POST", f"/api/v1/sync?last_pulled_at={last}", token, body, "text/plain")
                    with lock:
                        latencies.append(time.perf_counter() - t)
                except Exception as e:  # noqa: BLE001 - every failure is counted and shown
                    with lock:
                        errors.append(repr(e))

        threads = [threading.Thread(target=phone, args=(k,)) for k in range(args.phones)]
        print("pushing …", flush=True)
        cpu0 = (cpu_seconds(server.pid), sum(os.times()[:2]), cpu_seconds(comm="postgres"))
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        cpu = [b - a for a, b in zip(cpu0, (cpu_seconds(server.pid), sum(os.times()[:2]), cpu_seconds(comm="postgres")))]
        pushed = len(latencies) * args.batch
        lat = sorted(latencies)
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
        print(f"pushed {pushed} reports in {len(latencies)} pushes by {args.phones} phones in {wall:.1f} s: "
              f"{pushed / wall:.0f} reports/s; push latency p50 {p(0.50):.0f} ms, p99 {p(0.99):.0f} ms; "
              f"errors {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
        print(f"CPU seconds on the machine's {os.cpu_count()} cores during the pushes ({wall * os.cpu_count():.1f} available): "
              f"gridhub {cpu[0]:.1f}, these phones (Python) {cpu[1]:.1f}"
              + (f", PostgreSQL {cpu[2]:.1f}" if not url.startswith("sqlite") else ""))
    finally:
        server.terminate()
        server.wait()

    # the same rows, written by a plain bulk insert into the same indexed tables
    t0 = time.perf_counter()
    bulk_insert(url, rows(pushed, "bulk", ours, reporter))
    bulk = time.perf_counter() - t0
    print(f"bulk insert of the same {pushed} reports (a case, an event and a reporter row each, {3 * pushed} rows): "
          f"{bulk:.2f} s, {pushed / bulk:.0f} reports/s; the protocol runs at {100 * (pushed / wall) / (pushed / bulk):.0f}% "
          f"of the bulk insert")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
