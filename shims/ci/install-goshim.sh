#!/bin/sh
# Makes goshim the default `go` of a CI image (or any machine where the real go is already
# installed). Run as root while building the image:
#
#   sh shims/ci/install-goshim.sh /path/to/goshim
#
# It copies goshim to /usr/local/bin/goshim and links /usr/local/bin/go to it, so `go` on the
# default PATH runs goshim, which finds the real go further down PATH (or at GOSHIM_GO). The
# real go must NOT live in /usr/local/bin itself: goshim refuses to replace it.
set -eu
src=${1:?usage: install-goshim.sh /path/to/goshim}
bindir=${GOSHIM_BINDIR:-/usr/local/bin}
install -m 0755 "$src" "$bindir/goshim"
"$bindir/goshim" install --dir "$bindir"
# The real go that goshim will run, and the decision for this image's network, as a check.
"$bindir/goshim" which
"$bindir/goshim" doctor || echo "goshim: doctor found problems (see above); go still works" >&2
