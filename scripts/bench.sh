#!/usr/bin/env bash
# Benchmark (not a test): whole-process overhead of the shim on the warm path.
# Compares `go version` run directly with the real go and through goshim linked as `go`, from
# inside a module directory (so the shim does its full project inspection), with hyperfine -N.
# Needs hyperfine (Debian: apt-get install hyperfine). Usage: scripts/bench.sh [RUNS]
set -euo pipefail
runs=${1:-300}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "bench.sh: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
go=$(scripts/install-go.sh)
cargo build --release --locked --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/shim" "$work/mod" "$work/home"
ln -s "$root/target/release/goshim" "$work/shim/go"
printf 'module example.com/bench\n\ngo 1.22\n' > "$work/mod/go.mod"
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_CONFIG_HOME="$work/home/.config"
export GOTOOLCHAIN=local
go_dir=$(dirname "$go")
export PATH="$work/shim:$go_dir:$PATH"
cd "$work/mod"
hyperfine -N --warmup 30 --runs "$runs" --export-markdown "$work/result.md" --export-json "$work/result.json" \
  --command-name "go version (real go)" "$go version" \
  --command-name "go version (through goshim)" "$work/shim/go version"
cat "$work/result.md"
python3 - "$work/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
med = {x["command"]: x["median"] * 1000 for x in r}
real, shim = med["go version (real go)"], med["go version (through goshim)"]
print(f"median: real go {real:.2f} ms, through goshim {shim:.2f} ms, overhead {shim - real:.2f} ms (goal <= 1.5 ms)")
PY
