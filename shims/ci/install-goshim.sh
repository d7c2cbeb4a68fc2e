#!/bin/sh
# Makes goshim the default `go` of a CI image (or of any machine where the real go is already
# installed). Run it as root while building the image, with PATH as the image will have it:
#
#   sh shims/ci/install-goshim.sh /path/to/goshim
#
# It installs goshim into /usr/local/bin (or $GOSHIM_BINDIR, created when missing; a goshim
# already there is used as it is) and links `go` to it there. The real go stays where it is and
# must come AFTER that directory on PATH: the official golang image puts /usr/local/go/bin
# before /usr/local/bin, so there set GOSHIM_BINDIR to a directory you put first on PATH (as
# shims/ci/Dockerfile does with /opt/goshim/bin). The script fails when `go` on PATH is not
# goshim afterwards, or when there is no real go. It probes nothing: proxy verdicts are cached
# at run time, for the network the containers run on, never baked into the image.
set -eu
src=${1:?usage: install-goshim.sh /path/to/goshim}
bindir=${GOSHIM_BINDIR:-/usr/local/bin}
mkdir -p "$bindir"
# -ef (same file) is not in POSIX test, but dash, bash, busybox and BSD sh all have it.
# shellcheck disable=SC3013
if [ ! "$src" -ef "$bindir/goshim" ]; then
  install -m 0755 "$src" "$bindir/goshim"
fi
"$bindir/goshim" install --dir "$bindir"
# The real go that goshim will run; exits 127 when there is none.
"$bindir/goshim" which
found=$(command -v go || true)
# shellcheck disable=SC3013
if [ ! "$found" -ef "$bindir/goshim" ]; then
  echo "install-goshim.sh: go on PATH is ${found:-missing}, not goshim: goshim would be bypassed." >&2
  echo "install-goshim.sh: put $bindir before the real go's directory on PATH (PATH=$PATH)" >&2
  exit 1
fi
