#!/usr/bin/env bash
# Benchmark (not a test) of the module router. Each section is a function; add more below and
# call them at the end.
#
#   start_overhead  the parent's added wall time of router::start + exec: `goshim __router
#                   --table T -- /bin/true` against the same with --no-start (hyperfine -N),
#                   plus the time start() itself takes inside goshim (the debug line it prints).
#   spool_rss       peak RSS (VmHWM) of the router process while it spools a 100 MB zip from a
#                   local static server (python3 -m http.server) and serves it to curl.
#
# Needs hyperfine, python3 and curl. Usage: scripts/bench-router.sh [RUNS [SECTION...]]
# (default: every section). The machine's load shows in every figure: compare minima too.
set -euo pipefail
runs=${1:-300}
shift || true
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(start_overhead spool_rss)
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for tool in hyperfine python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench-router.sh: $tool is needed" >&2; exit 1; }
done
cargo build --release --locked --quiet
goshim="$root/target/release/goshim"
work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/home"
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_CONFIG_HOME="$work/home/.config"

# table PUBLIC_URL DEBUG: a router table with one public upstream.
table() {
  printf '{"public":[{"url":"%s","sumdb":"unknown","seed":null}],"private":[],"private_patterns":"","nosumdb_patterns":"","sumdb":null,"settings":{"hedge_delay":{"secs":1,"nanos":0},"attempt_timeout":{"secs":30,"nanos":0},"request_timeout":{"secs":120,"nanos":0},"retries":3},"netrc":false,"quiet":true,"debug":%s}\n' "$1" "$2"
}

start_overhead() {
  table "https://proxy.golang.org" false > "$work/table.json"
  table "https://proxy.golang.org" true > "$work/table-debug.json"
  hyperfine -N --warmup 30 --runs "$runs" --export-json "$work/start.json" \
    --command-name "exec without router" "$goshim __router --table $work/table.json --no-start -- /bin/true" \
    --command-name "router::start + exec" "$goshim __router --table $work/table.json -- /bin/true"
  for _ in $(seq "$runs"); do
    "$goshim" __router --table "$work/table-debug.json" -- /bin/true 2>&1 | sed -n 's/.*router started in \([0-9]*\) us.*/\1/p'
  done > "$work/start-us.txt"
  python3 - "$work/start.json" "$work/start-us.txt" <<'PY'
import json, statistics, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
base, routed = r["exec without router"], r["router::start + exec"]
for name, x in (("exec without router", base), ("router::start + exec", routed)):
    print(f"{name}: min {x['min']*1e3:.3f} ms, median {x['median']*1e3:.3f} ms, mean {x['mean']*1e3:.3f} ms")
print(f"added wall time: min {(routed['min']-base['min'])*1e3:.3f} ms, median {(routed['median']-base['median'])*1e3:.3f} ms")
us = sorted(int(l) for l in open(sys.argv[2]) if l.strip())
print(f"start() inside goshim: min {us[0]} us, median {statistics.median(us)} us, p90 {us[int(len(us)*0.9)]} us (n={len(us)})")
PY
}

spool_rss() {
  local dir="$work/static/example.com/big/@v"
  mkdir -p "$dir"
  python3 - "$dir/v1.0.0.zip" <<'PY'
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"PK\x03\x04")
    for _ in range(100):
        f.write(os.urandom(1 << 20))
    f.write(b"PK\x05\x06" + bytes(18))
PY
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$work/static" && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
  server_pid=$!
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
  table "http://127.0.0.1:$port" false > "$work/table-rss.json"
  # The router is the child of the command goshim execs ($$ of this sh): read its VmHWM after
  # the download, while it still runs.
  "$goshim" __router --table "$work/table-rss.json" -- /bin/sh -c '
    start=$(date +%s.%N)
    size=$(curl -sf -o /dev/null -w "%{size_download}" "$GOPROXY/example.com/big/@v/v1.0.0.zip")
    end=$(date +%s.%N)
    for p in /proc/[0-9]*; do
      if [ "$(sed -n "s/^PPid:[[:space:]]*//p" "$p/status" 2>/dev/null)" = "$$" ] && tr "\0" " " < "$p/cmdline" 2>/dev/null | grep -q __router; then
        echo "zip of $size bytes through the router in $(echo "$end - $start" | bc) s"
        grep -E "^(VmHWM|VmRSS)" "$p/status" | sed "s/^/router /"
      fi
    done'
}

for section in "${sections[@]}"; do
  "$section"
done
