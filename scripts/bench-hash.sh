#!/usr/bin/env bash
# Benchmark (not a test): the cost of checking a module zip's h1: hash before serving it
# (goenv::dirhash, one thread and one per CPU), next to the time the same 100 MiB zip takes to
# download over loopback with reqwest, for three zips: stored pseudo source (fixture-like),
# deflated pseudo source and deflated real source (the test Go's own src, proxy.golang.org-
# like); then time and peak memory of hashing the last from a file (/usr/bin/time -v).
# Usage: scripts/bench-hash.sh [RUNS]   (median of RUNS, default 5)
set -euo pipefail
runs=${1:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$(cargo bench --locked --quiet --no-run --bench hash_zip --message-format=json |
  python3 -c 'import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("executable") and msg.get("target", {}).get("name") == "hash_zip":
        print(msg["executable"])')
src=$(dirname "$(dirname "$(scripts/install-go.sh)")")/src
"$bin" run "$work" "$runs" "$src"
if [ -x /usr/bin/time ]; then
  for threads in 1 "$(nproc)"; do
    echo
    echo "hashing go-source.zip ($(du -h "$work/go-source.zip" | cut -f1)) from a file, $threads thread(s):"
    /usr/bin/time -v "$bin" file "$work/go-source.zip" example.com/bench v1.0.0 "$threads" \
      2>"$work/time.txt"
    grep -E "Maximum resident set size|Elapsed|Percent of CPU" "$work/time.txt"
  done
fi
