#!/usr/bin/env python3
"""Sync load: simulated phones pushing reports through WatermelonDB's protocol, against a real
gridhub, then the same rows written by a plain bulk insert into the same database — so that the
ratio shows what the protocol (checks, cell lookup, timeline, idempotency, one transaction per
push) costs.

    cargo build --release -p gridhub
    bench/sync_push.py                                   # SQLite in a temporary directory
    bench/sync_push.py --database-url postgres://postgres@127.0.0.1:5432/gridhub_bench
                                                         # an empty PostgreSQL database

Prints reports/s, p50/p99 push latency, errors, and the bulk insert's rows/s. Standard library
only; the PostgreSQL bulk insert goes through `psql`.
"""

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid

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


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "gridhub"))
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--phones", type=int, default=200)
    ap.add_argument("--reports", type=int, default=50, help="per phone")
    ap.add_argument("--batch", type=int, default=10, help="reports per push")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="gridhub-bench-")
    url = args.database_url or f"sqlite://{work}/gridhub.db"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, GRIDHUB_DATABASE_URL=url, GRIDHUB_DATA_DIR=f"{work}/data", GRIDHUB_LOG="warn",
               GRIDHUB_LOGIN_PER_MINUTE_PER_ADDRESS="100000", GRIDHUB_DB_POOL_SIZE="16")
    server = subprocess.Popen([args.bin, "serve", "--demo", "--bind", f"127.0.0.1:{port}"], env=env,
                              stdout=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/readyz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        admin = call(base, "POST", "/api/v1/auth/login", body={"username": "admin", "password": "gridhub-demo"})["access_token"]
        li = call(base, "POST", "/api/v1/auth/login", body={"username": "worker.li", "password": "gridhub-demo"})["access_token"]
        me = call(base, "GET", "/api/v1/auth/me", li)
        community = me["user"]["scope_id"]
        first = call(base, "GET", "/api/v1/sync?last_pulled_at=null&schema_version=1", li)
        cells = [json.loads(c["boundary"])["coordinates"][0] for c in first["changes"]["cells"]["created"]]
        points = [((r[0][0] + r[2][0]) / 2, (r[0][1] + r[2][1]) / 2) for r in cells]

        print(f"making {args.phones} phones …", flush=True)
        tokens = []
        for k in range(args.phones):
            name = f"bench.phone.{k}"
            call(base, "POST", "/api/v1/users", admin, {"username": name, "password": PASSWORD, "display_name": name,
                                                         "role": "grid_worker", "scope_id": community})
            tokens.append(call(base, "POST", "/api/v1/auth/login", body={"username": name, "password": PASSWORD})["access_token"])

        latencies, errors, lock = [], [], threading.Lock()

        def phone(k):
            token = tokens[k]
            last = call(base, "GET", "/api/v1/sync?last_pulled_at=null&schema_version=1", token)["timestamp"]
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
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        pushed = len(latencies) * args.batch
        lat = sorted(latencies)
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
        print(f"pushed {pushed} reports in {len(latencies)} pushes by {args.phones} phones in {wall:.1f} s: "
              f"{pushed / wall:.0f} reports/s; push latency p50 {p(0.50):.0f} ms, p99 {p(0.99):.0f} ms; "
              f"errors {len(errors)}" + (f" (first: {errors[0]})" if errors else ""))
    finally:
        server.terminate()
        server.wait()

    # the same rows, written by a plain bulk insert into the same database
    rows = []
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    for n in range(pushed):
        rows.append((f"bulk{uuid.uuid4().hex[:16]}", "field_report", "SJ0102", "垃圾堆放", "", points[n % len(points)][0],
                     points[n % len(points)][1], me["user"]["id"], "normal", "[]", now, now, "reported", now))
    cols = ("id, source, category_code, title, description, lng, lat, reporter_id, priority, attachments, "
            "reported_at, received_at, status, updated_at")
    t0 = time.perf_counter()
    if url.startswith("sqlite://"):
        db = sqlite3.connect(url[len("sqlite://"):])
        with db:
            db.executemany(f"INSERT INTO cases ({cols}) VALUES ({', '.join('?' * 14)})", rows)
        db.close()
    else:
        def lit(v):
            return str(v) if isinstance(v, float) else "'" + str(v).replace("'", "''") + "'"
        sql = "BEGIN;\n" + "".join(
            f"INSERT INTO cases ({cols}) VALUES " + ",".join("(" + ",".join(map(lit, r)) + ")" for r in rows[i:i + 500]) + ";\n"
            for i in range(0, len(rows), 500)) + "COMMIT;\n"
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], input=sql.encode(), check=True)
    bulk = time.perf_counter() - t0
    print(f"bulk insert of the same {pushed} rows: {bulk:.2f} s, {pushed / bulk:.0f} rows/s; "
          f"the protocol runs at 1/{(pushed / bulk) / (pushed / wall):.0f} of a bare insert")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
