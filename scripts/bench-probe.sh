#!/usr/bin/env bash
# Benchmark of the health path (not a test).
#
#   cold: no cache; `goshim probe --cached` decides with candidates [fast, slow, hanging] and
#         must answer about when the fast proxy does (goal: within +20 ms of its response time).
#   warm: a fresh cache; the same call must cost next to nothing (goal: <= 0.2 ms).
#
# The fixture proxies are tiny Python http.servers on 127.0.0.1 started by this script; the
# decision time is goshim's own measurement of health::verdicts (`elapsed_us` in the JSON), and
# the whole-process wall time is shown next to it.
#
# Usage: scripts/bench-probe.sh [RUNS]   (default 30; builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-30}"
cargo build --release --quiet
bin="$PWD/target/release/goshim"

python3 - "$bin" "$runs" <<'PY'
import http.client, http.server, json, os, shutil, statistics, subprocess, sys, tempfile
import threading, time

bin_path, runs = sys.argv[1], int(sys.argv[2])
INFO = json.dumps({"Version": "v0.3.0", "Time": "2017-12-14T13:08:43Z"}).encode()

def server(delay):
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass
        def do_GET(self):
            if delay is None:
                time.sleep(3600)
            time.sleep(delay)
            if self.path.endswith("/supported"):
                body, status = b"", 200
            elif self.path.endswith("/@v/v0.3.0.info"):
                body, status = INFO, 200
            else:
                body, status = b"not found\n", 404
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # goshim decided and left before this (slower) answer
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    s.daemon_threads = True
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return "http://127.0.0.1:%d" % s.server_address[1]

fast, slow, hang = server(0.0), server(0.030), server(None)

def fast_response_ms():
    host = fast[len("http://"):]
    t = time.perf_counter()
    c = http.client.HTTPConnection(host, timeout=5)
    c.request("GET", "/golang.org/x/text/@v/v0.3.0.info", headers={"Disable-Module-Fetch": "true"})
    c.getresponse().read()
    c.close()
    return (time.perf_counter() - t) * 1000

home = tempfile.mkdtemp(prefix="goshim-bench-")
cache = os.path.join(home, "cache")
env = {"PATH": "/usr/bin:/bin", "HOME": home, "XDG_CACHE_HOME": cache,
       "NETRC": os.path.join(home, "no-netrc")}
args = [bin_path, "probe", "--cached", "--json",
        "--candidate", fast, "--candidate", slow, "--candidate", hang,
        "--sumdb", "sum.golang.org=" + fast, "--deadline-ms", "2000"]

def run():
    t = time.perf_counter()
    out = subprocess.run(args, env=env, capture_output=True, check=True)
    wall = (time.perf_counter() - t) * 1000
    v = json.loads(out.stdout)
    assert v["proxies"][0][1]["status"] == "healthy", v
    return v["elapsed_us"] / 1000, wall, v["origin"]

def wait_refresh():
    # A cold call leaves the slower candidates to one background refresh; let it end.
    import fcntl
    lock = os.path.join(cache, "goshim", "refresh.lock")
    time.sleep(0.2)
    if os.path.exists(lock):
        with open(lock) as f:
            fcntl.flock(f, fcntl.LOCK_EX)

def summary(name, xs):
    xs = sorted(xs)
    p90 = xs[max(0, int(len(xs) * 0.9) - 1)]
    return "%-34s median %8.3f ms   p90 %8.3f ms" % (name, statistics.median(xs), p90)

resp = [fast_response_ms() for _ in range(runs)]
cold_dec, cold_wall = [], []
for _ in range(runs):
    shutil.rmtree(cache, ignore_errors=True)
    d, w, origin = run()
    assert origin == "probed"
    cold_dec.append(d)
    cold_wall.append(w)
    wait_refresh()
warm_dec, warm_wall = [], []
for _ in range(runs):
    d, w, origin = run()
    assert origin == "cache", origin
    warm_dec.append(d)
    warm_wall.append(w)
base_wall = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run([bin_path, "--version"], env=env, capture_output=True, check=True)
    base_wall.append((time.perf_counter() - t) * 1000)

print("runs: %d   candidates: fast, slow (+30 ms), hanging" % runs)
print(summary("fastest proxy response (python)", resp))
print(summary("cold decision (in goshim)", cold_dec))
print(summary("cold process wall time", cold_wall))
print(summary("warm decision (in goshim)", warm_dec))
print(summary("warm process wall time", warm_wall))
print(summary("goshim --version wall time", base_wall))
over = statistics.median(cold_dec) - statistics.median(resp)
print("cold decision - fastest response: %+.3f ms (goal <= +20 ms): %s"
      % (over, "ok" if over <= 20 else "MISSED"))
warm = statistics.median(warm_dec)
print("warm decision: %.3f ms (goal <= 0.2 ms): %s" % (warm, "ok" if warm <= 0.2 else "MISSED"))
shutil.rmtree(home, ignore_errors=True)
PY
