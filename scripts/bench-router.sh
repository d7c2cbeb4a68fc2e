#!/usr/bin/env bash
# Benchmark (not a test) of the module router. Each section is a function; add more below and
# call them at the end.
#
#   start_overhead  the parent's added wall time of router::start + exec: `goshim __router
#                   --table T -- /bin/true` against the same with --no-start (hyperfine -N),
#                   plus the time start() itself takes inside goshim (the debug line it prints).
#   spool_rss       peak RSS (VmHWM) of the router process while it spools a 100 MB zip from a
#                   local static server (python3 -m http.server) and serves it to curl.
#   download_200    `go mod download` of 200 fixture modules (a static GOPROXY tree served by
#                   nginx): the real go straight at the server, against go through goshim and
#                   its router, runs interleaved pair by pair (DOWNLOAD_RUNS pairs, default 10;
#                   goal: <= 1.10x). A fresh module cache per run, in DOWNLOAD_CACHE if set (a
#                   path on tmpfs, e.g. /dev/shm/bench-mc, takes the disk's inode allocation
#                   after each rm -rf, which varies go's own time up to 2x, out of the figure).
#   hang_failover   the same download with a first upstream that accepts and never answers
#                   before the healthy one, against the healthy one alone (goal: <= 1.2x plus the
#                   hedge delay); a fresh verdict cache per run, so the router learns anew.
#   parent_overhead the shim's wall time for `go build` in a fully cached module with the
#                   router (goshim starts it) against GOSHIM_ROUTER=0 (the variables, as before
#                   the router; goal: <= 0.5 ms more), and `go version` (no router) against the
#                   real go.
#   verify_cost     the h1: check in the router's real path: a 100 MB zip fetched through the
#                   router by curl (the router's download from the upstream, the check,
#                   serving it) with the check (a go.sum lists the zip) against the same zip
#                   with nothing to check it against (served unhashed); for a stored zip (as
#                   the fixture proxies serve) and a deflated one (the test Go's own src, as
#                   proxy.golang.org's zips are), from a loopback static server and from one
#                   that sends at VERIFY_RATE MB/s (default 50, a fast real link). Goal: the
#                   check costs <= 5% of the download. (go's own hash and extraction after
#                   the download take seconds more for the deflated zip's 34k files and are
#                   the same either way; they are not measured here.)
#
# Needs hyperfine, python3, curl, bc and nginx (Debian: nginx-light). Usage: scripts/bench-router.sh [RUNS [SECTION...]]
# (default: every section). The machine's load shows in every figure: compare minima too.
set -euo pipefail
runs=${1:-300}
shift || true
sections=("$@")
[ ${#sections[@]} -gt 0 ] || sections=(start_overhead spool_rss download_200 hang_failover parent_overhead verify_cost)
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
for tool in hyperfine python3 curl bc nginx; do
  command -v "$tool" >/dev/null || { echo "bench-router.sh: $tool is needed" >&2; exit 1; }
done
# shim_env narrows PATH for go; nginx may live in an sbin directory it leaves out.
nginx=$(command -v nginx)
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
  # the download, while it still runs. (The script is for that sh, not this one.)
  # shellcheck disable=SC2016
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

# serve DIR: a static GOPROXY on a free loopback port, in $port: nginx (a fixture that is not
# the bottleneck; python's http.server serialises enough to hide or invent the router's cost).
# The servers stop with the script (not started in a subshell, so they are ours).
servers=()
serve() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  local dir="$work/nginx-$port"
  mkdir -p "$dir"
  # The workers read the tree as this user (mktemp's directory is not world-readable).
  cat > "$dir/nginx.conf" <<CONF
user $(id -un);
daemon off;
worker_processes 2;
pid $dir/pid;
error_log $dir/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir;
  proxy_temp_path $dir;
  fastcgi_temp_path $dir;
  uwsgi_temp_path $dir;
  scgi_temp_path $dir;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$port; root $1; }
}
CONF
  "$nginx" -c "$dir/nginx.conf" &
  servers+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
}
# hang: a loopback port that accepts connections and never answers, in $port.
hang() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 - "$port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1024)
held = []
while True:
    c, _ = s.accept(); held.append(c)
PY
  servers+=($!)
  sleep 0.2
}
stop_servers() {
  local p
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null; done
  cleanup
}
trap stop_servers EXIT

# modules DIR N: N fixture modules example.com/bench/mNNN@v1.0.0 as a GOPROXY tree; prints
# their path@version list.
modules() {
  python3 - "$1" "$2" <<'PY'
import io, json, os, sys, zipfile
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    path = f"example.com/bench/m{i:03d}"
    d = os.path.join(root, path, "@v")
    os.makedirs(d, exist_ok=True)
    gomod = f"module {path}\n\ngo 1.21\n"
    open(os.path.join(d, "list"), "w").write("v1.0.0\n")
    json.dump({"Version": "v1.0.0", "Time": "2024-01-02T03:04:05Z"}, open(os.path.join(d, "v1.0.0.info"), "w"))
    open(os.path.join(d, "v1.0.0.mod"), "w").write(gomod)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"{path}@v1.0.0/go.mod", gomod)
        z.writestr(f"{path}@v1.0.0/m.go", f"package m{i:03d}\n\nconst N = {i}\n" + "// filler\n" * 200)
    open(os.path.join(d, "v1.0.0.zip"), "wb").write(buf.getvalue())
    print(f"{path}@v1.0.0")
PY
}

# The shim as `go` first on PATH, the real go after it, a user config naming CANDIDATES.
shim_env() {
  mkdir -p "$work/shim" "$work/home/.config/goshim"
  ln -sf "$goshim" "$work/shim/go"
  local list=""
  for c in "$@"; do list+="\"$c\", "; done
  printf '[proxy]\ncandidates = [%s]\ndirect = false\n' "${list%, }" > "$work/home/.config/goshim/config.toml"
  local go_dir
  go_dir=$(dirname "$realgo")
  export PATH="$work/shim:$go_dir:/usr/bin:/bin" GONOSUMDB=example.com GOFLAGS=-modcacherw GOTOOLCHAIN=local
}

download_200() {
  mkdir -p "$work/tree"
  modules "$work/tree" 200 > "$work/mods.txt"
  serve "$work/tree"
  shim_env "http://127.0.0.1:$port"
  local mods
  mods=$(tr '\n' ' ' < "$work/mods.txt")
  local mc=${DOWNLOAD_CACHE:-$work/mc}
  alternate "${DOWNLOAD_RUNS:-10}" "rm -rf $mc" 1.10 0 \
    "go alone" "GOMODCACHE=$mc GOPROXY=http://127.0.0.1:$port $realgo mod download $mods" \
    "through goshim's router" "GOMODCACHE=$mc $work/shim/go mod download $mods"
  rm -rf "$mc"
}

hang_failover() {
  mkdir -p "$work/tree"
  [ -s "$work/mods.txt" ] || modules "$work/tree" 200 > "$work/mods.txt"
  local good bad mods
  serve "$work/tree"
  good=$port
  hang
  bad=$port
  mods=$(head -n 20 "$work/mods.txt" | tr '\n' ' ')
  shim_env "http://127.0.0.1:$bad" "http://127.0.0.1:$good"
  cp "$work/home/.config/goshim/config.toml" "$work/hang.toml"
  shim_env "http://127.0.0.1:$good"
  cp "$work/home/.config/goshim/config.toml" "$work/good.toml"
  alternate "${DOWNLOAD_RUNS:-10}" "rm -rf $work/mc $work/home/.cache" 1.2 1.0 \
    "healthy upstream only" "cp $work/good.toml $work/home/.config/goshim/config.toml && GOMODCACHE=$work/mc $work/shim/go mod download $mods" \
    "hanging upstream first" "cp $work/hang.toml $work/home/.config/goshim/config.toml && GOMODCACHE=$work/mc $work/shim/go mod download $mods"
}

parent_overhead() {
  mkdir -p "$work/tree" "$work/build"
  serve "$work/tree"
  shim_env "http://127.0.0.1:$port"
  printf 'module example.com/build\n\ngo 1.22\n' > "$work/build/go.mod"
  printf 'package main\n\nfunc main() {}\n' > "$work/build/main.go"
  cd "$work/build"
  # Warm go's build cache and goshim's verdict cache.
  "$work/shim/go" build -o /dev/null . && GOSHIM_ROUTER=0 "$work/shim/go" build -o /dev/null .
  hyperfine -N --warmup 10 --runs "${BUILD_RUNS:-100}" --export-json "$work/build.json" \
    --command-name "go build, variables (GOSHIM_ROUTER=0)" "env GOSHIM_ROUTER=0 $work/shim/go build -o /dev/null ." \
    --command-name "go build, router" "env GOSHIM_ROUTER=1 $work/shim/go build -o /dev/null ."
  ratio "$work/build.json" "go build, variables (GOSHIM_ROUTER=0)" "go build, router"
  hyperfine -N --warmup 30 --runs "$runs" --export-json "$work/version.json" \
    --command-name "go version (real go)" "$realgo version" \
    --command-name "go version (through goshim)" "$work/shim/go version"
  ratio "$work/version.json" "go version (real go)" "go version (through goshim)"
  cd "$root"
}

verify_cost() {
  mkdir -p "$work/vtree"
  local src
  src=$(dirname "$(dirname "$realgo")")/src
  # Two 100 MB module zips and a go.sum listing both (dirhash h1: computed here, in Python).
  python3 - "$work/vtree" "$src" "$work/verify.sum" <<'PY'
import base64, hashlib, json, os, re, sys, zipfile
root, src, sums = sys.argv[1:4]
TARGET = 100 << 20
def files_stored():
    i = 0
    while True:
        body = "".join(f"// line {j} of file {i}: some Go source text\n" for j in range(1500)).encode()
        yield f"pkg{i % 50}/f{i}.go", body
        i += 1
def files_deflated():
    n = 0
    while True:
        for d, _, names in os.walk(src):
            for name in sorted(names):
                p = os.path.join(d, name)
                rel = os.path.relpath(p, src)
                parts = rel.split(os.sep)
                # Only files a module zip may hold (x/mod zip: no go.mod below the root, no
                # vendor directories, plain names).
                if (os.path.islink(p) or not os.path.isfile(p) or name == "go.mod"
                        or "vendor" in parts or any(x.startswith(".") for x in parts)
                        or not re.fullmatch(r"[A-Za-z0-9_./+-]+", rel)):
                    continue
                yield f"r{n}/" + rel, open(p, "rb").read()
        n += 1
lines = []
for mod, method, gen in (("example.com/stored", zipfile.ZIP_STORED, files_stored()),
                         ("example.com/deflated", zipfile.ZIP_DEFLATED, files_deflated())):
    d = os.path.join(root, mod, "@v")
    os.makedirs(d, exist_ok=True)
    gomod = f"module {mod}\n\ngo 1.21\n".encode()
    open(os.path.join(d, "v1.0.0.mod"), "wb").write(gomod)
    json.dump({"Version": "v1.0.0", "Time": "2024-01-02T03:04:05Z"}, open(os.path.join(d, "v1.0.0.info"), "w"))
    path = os.path.join(d, "v1.0.0.zip")
    digests = []
    with zipfile.ZipFile(path, "w", method) as z:
        prefix = f"{mod}@v1.0.0/"
        z.writestr(prefix + "go.mod", gomod)
        digests.append((prefix + "go.mod", hashlib.sha256(gomod).hexdigest()))
        for name, body in gen:
            if os.path.getsize(path) >= TARGET:
                break
            z.writestr(prefix + name, body)
            digests.append((prefix + name, hashlib.sha256(body).hexdigest()))
    summary = "".join(f"{h}  {n}\n" for n, h in sorted(digests))
    h1 = "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()
    mod_h1 = "h1:" + base64.b64encode(hashlib.sha256(f"{hashlib.sha256(gomod).hexdigest()}  go.mod\n".encode()).digest()).decode()
    lines.append(f"{mod} v1.0.0 {h1}\n{mod} v1.0.0/go.mod {mod_h1}\n")
    print(f"{mod}: zip of {os.path.getsize(path) / 1e6:.1f} MB, {len(digests)} files, {h1}")
open(sums, "w").write("".join(lines))
PY
  serve "$work/vtree"
  local fast=$port
  throttled "$work/vtree" "${VERIFY_RATE:-50}"
  local slow=$port
  for upstream in "$fast" "$slow"; do
    for kind in checked unchecked; do
      python3 - "http://127.0.0.1:$upstream" "$work/verify.sum" "$kind" > "$work/table-$kind-$upstream.json" <<'PY'
import json, sys
upstream, sums, kind = sys.argv[1:4]
print(json.dumps({
    "public": [{"url": upstream, "sumdb": "unknown", "seed": None}],
    "private": [], "private_patterns": "", "nosumdb_patterns": "", "sumdb": None,
    "go_sum": {"main": sums, "workspace": []} if kind == "checked" else None,
    "settings": {"hedge_delay": {"secs": 1, "nanos": 0}, "attempt_timeout": {"secs": 30, "nanos": 0},
                 "request_timeout": {"secs": 120, "nanos": 0}, "retries": 3},
    "netrc": False, "quiet": True, "debug": False}))
PY
    done
  done
  for upstream in "$fast" "$slow"; do
    local link="loopback"
    [ "$upstream" = "$slow" ] && link="a ${VERIFY_RATE:-50} MB/s upstream"
    for mod in stored deflated; do
      local zip="example.com/$mod/@v/v1.0.0.zip"
      echo "== $mod zip from $link, fetched through the router by curl"
      hyperfine -N --warmup 1 --runs "${VERIFY_RUNS:-10}" --export-json "$work/v.json" \
        --command-name "no check" "$goshim __router --table $work/table-unchecked-$upstream.json -- sh -c 'curl -sf -o /dev/null \"\$GOPROXY/$zip\"'" \
        --command-name "h1: checked" "$goshim __router --table $work/table-checked-$upstream.json -- sh -c 'curl -sf -o /dev/null \"\$GOPROXY/$zip\"'"
      ratio "$work/v.json" "no check" "h1: checked" 1.05
    done
  done
}

# throttled DIR MB_PER_S: a static GOPROXY on a free loopback port that sends every body at
# that rate (as a fast real link would), in $port.
throttled() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 - "$1" "$2" "$port" <<'PY' &
import http.server, os, sys, time
root, rate, port = sys.argv[1], float(sys.argv[2]) * 1e6, int(sys.argv[3])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = os.path.join(root, self.path.lstrip("/"))
        if not os.path.isfile(path):
            self.send_error(404)
            return
        size = os.path.getsize(path)
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        start, sent = time.monotonic(), 0
        with open(path, "rb") as f:
            while chunk := f.read(256 << 10):
                self.wfile.write(chunk)
                sent += len(chunk)
                ahead = sent / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
PY
  servers+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.05; done
}

# alternate RUNS PREPARE GOAL_RATIO PLUS_SECONDS NAME_A CMD_A NAME_B CMD_B: runs A and B in turn
# (A, B, A, B…; PREPARE before each), so the machine's drift over the minutes a download
# benchmark takes hits both alike; prints medians, minima and the median of the per-pair
# ratios B/A against the goal (B <= A * GOAL_RATIO + PLUS_SECONDS).
alternate() {
  python3 - "$@" <<'PY'
import statistics, subprocess, sys, time
runs, prepare, goal, plus = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
(na, ca), (nb, cb) = (sys.argv[5], sys.argv[6]), (sys.argv[7], sys.argv[8])
def once(cmd):
    subprocess.run(prepare, shell=True, check=True)
    t = time.monotonic()
    subprocess.run(cmd, shell=True, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t
once(ca); once(cb)  # warm-up
a, b = [], []
for _ in range(runs):
    a.append(once(ca)); b.append(once(cb))
for name, xs in ((na, a), (nb, b)):
    print(f"{name}: median {statistics.median(xs)*1e3:.0f} ms, min {min(xs)*1e3:.0f} ms (n={len(xs)})")
pair = statistics.median(y / x for x, y in zip(a, b))
print(f"median of per-pair ratios: {pair:.3f}; ratio of medians {statistics.median(b)/statistics.median(a):.3f}")
limit = statistics.median(a) * goal + plus
verdict = "within" if statistics.median(b) <= limit else "OVER"
print(f"goal: <= {goal}x" + (f" + {plus:.1f} s" if plus else "") + f" of {na} -> {verdict}")
PY
}

# ratio JSON BASE OTHER [GOAL_RATIO [PLUS_SECONDS]]: medians, minima and their difference.
ratio() {
  python3 - "$@" <<'PY'
import json, sys
path, base, other = sys.argv[1:4]
goal = float(sys.argv[4]) if len(sys.argv) > 4 else None
plus = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
r = {x["command"]: x for x in json.load(open(path))["results"]}
b, o = r[base], r[other]
for name, x in ((base, b), (other, o)):
    print(f"{name}: median {x['median']*1e3:.2f} ms, min {x['min']*1e3:.2f} ms, stddev {x['stddev']*1e3:.2f} ms")
print(f"difference: median {(o['median']-b['median'])*1e3:+.2f} ms, min {(o['min']-b['min'])*1e3:+.2f} ms; ratio of medians {o['median']/b['median']:.3f}")
if goal is not None:
    limit = b["median"] * goal + plus
    verdict = "within" if o["median"] <= limit else "OVER"
    print(f"goal: <= {goal}x" + (f" + {plus:.1f} s" if plus else "") + f" of the base -> {verdict}")
PY
}

realgo=$(scripts/install-go.sh)

for section in "${sections[@]}"; do
  "$section"
done
