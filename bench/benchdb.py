"""What the Python benchmarks share: a free port, waiting for a server, reading the database of
either backend, the demo's cells, and writing rows by plain bulk insert. Standard library only;
PostgreSQL through `psql`."""

import socket
import sqlite3
import subprocess
import time
import urllib.request

# every cell in service, with where it lies and its bounding box's centre (WGS-84, as stored)
CELLS = ("SELECT cells.id, cells.community_id, communities.street_id, streets.district_id, "
         "(cells.min_lng + cells.max_lng) / 2, (cells.min_lat + cells.max_lat) / 2 FROM cells "
         "JOIN communities ON communities.id = cells.community_id "
         "JOIN streets ON streets.id = communities.street_id WHERE cells.retired_at IS NULL")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base):
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1)
            return
        except Exception:
            time.sleep(0.1)


def query(url, sql):
    """Rows of a query, on either backend (PostgreSQL's as text)."""
    if url.startswith("sqlite://"):
        db = sqlite3.connect(url[len("sqlite://"):])
        rows = db.execute(sql).fetchall()
        db.close()
        return rows
    out = subprocess.run(["psql", "-At", "-F", "\t", url, "-c", sql], check=True, capture_output=True, text=True).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def bulk_insert(url, tables, then="", analyze=False):
    """`tables` as (name, columns, rows): multi-row INSERTs of 500 and the statement `then`, in one
    transaction; on PostgreSQL fresh planner statistics after, if asked (gridhub brings SQLite's
    up to date when it starts)."""
    if url.startswith("sqlite://"):
        db = sqlite3.connect(url[len("sqlite://"):])
        with db:
            for table, cols, rows in tables:
                marks = "(" + ", ".join("?" * len(rows[0])) + ")"
                for i in range(0, len(rows), 500):
                    chunk = rows[i:i + 500]
                    db.execute(f"INSERT INTO {table} ({cols}) VALUES " + ", ".join([marks] * len(chunk)),
                               [v for r in chunk for v in r])
            if then:
                db.execute(then)
        db.close()
        return

    def lit(v):
        return str(v) if isinstance(v, (int, float)) else "'" + str(v).replace("'", "''") + "'"
    sql = "BEGIN;\n" + "".join(
        f"INSERT INTO {table} ({cols}) VALUES " + ",".join("(" + ",".join(map(lit, r)) + ")" for r in rows[i:i + 500]) + ";\n"
        for table, cols, rows in tables for i in range(0, len(rows), 500))
    sql += (then + ";\n" if then else "") + "COMMIT;\n" + ("ANALYZE;\n" if analyze else "")
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url], input=sql.encode(), check=True)
