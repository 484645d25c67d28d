#!/usr/bin/env bash
# Locate over HTTP against /healthz on the same server, in the same run: wrk with 64 connections
# for 15 s each, on the release build with the demo data (about 400 cells). Every locate asks a
# different cell centre, with a bearer token, as phones and the mini-program do.
#
#   cargo build --release -p gridhub && bench/locate_wrk.sh
#
# Prints requests/s of each and the ratio. Needs wrk and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${GRIDHUB_BIN:-target/release/gridhub}
seconds=${SECONDS_EACH:-15}
connections=${CONNECTIONS:-64}
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
GRIDHUB_DATABASE_URL="sqlite://$work/g.db" GRIDHUB_DATA_DIR="$work/data" GRIDHUB_LOG=error \
  "$bin" serve --demo --bind "127.0.0.1:$port" >"$work/log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 300); do curl -sf "$base/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
token=$(curl -sf "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"gongyuan.office","password":"gridhub-demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
# the centre of every cell the office sees, as wrk's list of paths
python3 - "$base" "$token" >"$work/locate.lua" <<'PY'
import json, sys, urllib.request
base, token = sys.argv[1], sys.argv[2]
paths, cursor = [], None
while True:
    url = f"{base}/api/v1/cells?limit=500" + (f"&cursor={cursor}" if cursor else "")
    req = urllib.request.Request(url, headers={"authorization": f"Bearer {token}"})
    page = json.load(urllib.request.urlopen(req))
    for f in page["features"]:
        ring = f["geometry"]["coordinates"][0]
        lng = sum(p[0] for p in ring[:-1]) / (len(ring) - 1)
        lat = sum(p[1] for p in ring[:-1]) / (len(ring) - 1)
        paths.append(f"/api/v1/cells/locate?lng={lng:.6f}&lat={lat:.6f}")
    cursor = page["next_cursor"]
    if not cursor:
        break
print("local paths = {" + ",".join(f'"{p}"' for p in paths) + "}")
print(f'wrk.headers["authorization"] = "Bearer {token}"')
print("local n = 0")
print("request = function() n = n + 1; return wrk.format('GET', paths[(n % #paths) + 1]) end")
PY
run() { wrk -t2 -c"$connections" -d"${seconds}s" "$@" | tee -a "$work/out" | awk '/Requests\/sec/ {print $2}'; }
health=$(run "$base/healthz")
locate=$(run -s "$work/locate.lua" "$base/api/v1/cells/locate")
grep -E "Non-2xx|Socket errors" "$work/out" || true
echo "healthz: $health req/s; locate: $locate req/s; locate runs at $(python3 -c "print(round(100 * $locate / $health))")% of healthz"
