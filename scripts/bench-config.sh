#!/usr/bin/env bash
# Benchmark (not a test): configuration loading on a hostile `.gomodrc`.
#
# Times `GOSHIM_OFFLINE=1 goshim env` (configuration loading, go env and the decision, no probing)
# in a module whose untrusted `.gomodrc` is 1 MB of list elements (`[modules] private`, one
# pattern per line), next to the same command without a `.gomodrc`. Every element is parsed and
# validated and gets its line; the merge then ignores the untrusted list. With a second binary
# (e.g. goshim built from an older commit) the same rows are measured for it too, with fewer
# runs, as it may take seconds per run.
#
# Needs hyperfine (Debian: apt-get install hyperfine).
# Usage: scripts/bench-config.sh [RUNS] [BASELINE_GOSHIM]   (RUNS default 20)
set -euo pipefail
runs=${1:-20}
baseline=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v hyperfine >/dev/null || { echo "bench-config.sh: hyperfine is needed (apt-get install hyperfine)" >&2; exit 1; }
go=$(scripts/install-go.sh)
cargo build --release --locked --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/plain" "$work/hostile"
for dir in plain hostile; do
  printf 'module example.com/bench\n\ngo 1.22\n' > "$work/$dir/go.mod"
done
python3 - "$work/hostile/.gomodrc" <<'PY'
import sys
lines = ["[modules]", "private = ["]
size = 0
i = 0
while size < 1_000_000:  # 1 MB: under the 1 MiB goshim reads of one file
    line = f'  "git{i}.corp.example",'
    lines.append(line)
    size += len(line) + 1
    i += 1
lines.append("]")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
print(f"hostile .gomodrc: {i} list elements, {size} bytes of them", file=sys.stderr)
PY
export HOME="$work/home" XDG_CACHE_HOME="$work/home/.cache" XDG_CONFIG_HOME="$work/home/.config"
export XDG_DATA_HOME="$work/home/.local/share" GOSHIM_SYSTEM_CONFIG="$work/home/system.toml"
export GOSHIM_GO="$go" GOSHIM_OFFLINE=1 GOSHIM_QUIET=1 GOTOOLCHAIN=local

bench() { # NAME BINARY RUNS
  for dir in plain hostile; do
    (cd "$work/$dir" && hyperfine -N --time-unit millisecond --warmup 1 --runs "$3" --export-markdown "$work/$1-$dir.md" \
      --command-name "$1 env, $dir" "$2 env" >/dev/null 2>"$work/hyperfine.log") || { cat "$work/hyperfine.log" >&2; exit 1; }
    tail -n 1 "$work/$1-$dir.md"
  done
}
echo "| Command | Mean [ms] | Min [ms] | Max [ms] | Relative |"
echo "|:---|---:|---:|---:|---:|"
bench "goshim" "$root/target/release/goshim" "$runs"
if [ -n "$baseline" ]; then
  bench "baseline" "$baseline" 3
fi
