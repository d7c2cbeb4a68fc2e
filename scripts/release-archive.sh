#!/usr/bin/env bash
# Packs one release archive from a built goshim binary, as .github/workflows/release.yml does
# for each target:
#
#   scripts/release-archive.sh target/x86_64-unknown-linux-musl/release/goshim x86_64-unknown-linux-musl dist
#
# writes dist/goshim-VERSION-TARGET.tar.gz, holding goshim-VERSION-TARGET/ with goshim, the man
# pages (man/goshim.1, man/goshim-SUBCOMMAND.1) and README.md, and its SHA-256 in
# dist/goshim-VERSION-TARGET.tar.gz.sha256 (`shasum -a 256 -c` checks it). These are the names
# [package.metadata.binstall] in Cargo.toml expects. VERSION and TARGET are read from the
# binary's --version, which must name TARGET; a Linux musl binary must be statically linked.
# Prints the archive's path.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: $0 BINARY TARGET OUTDIR" >&2
  exit 2
fi
bin=$1 target=$2 out=$3
root=$(cd "$(dirname "$0")/.." && pwd)

# "goshim 0.1.0 (commit 0123456789ab, x86_64-unknown-linux-musl)"
line=$("$bin" --version)
version=$(printf '%s\n' "$line" | sed -n 's/^goshim \([^ ]*\) (commit [^,]*, \([^)]*\))$/\1/p')
built_for=$(printf '%s\n' "$line" | sed -n 's/^goshim \([^ ]*\) (commit [^,]*, \([^)]*\))$/\2/p')
if [ -z "$version" ]; then
  echo "$0: $bin --version printed '$line', not 'goshim VERSION (commit C, TARGET)'" >&2
  exit 1
fi
if [ "$built_for" != "$target" ]; then
  echo "$0: $bin was built for $built_for, not $target" >&2
  exit 1
fi
case $target in
  *-linux-musl)
    if ! file -L "$bin" | grep -Eq 'statically linked|static-pie linked'; then
      echo "$0: $bin is not statically linked: $(file -L "$bin")" >&2
      exit 1
    fi
    ;;
esac

name="goshim-$version-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
cp "$bin" "$stage/$name/goshim"
chmod 0755 "$stage/$name/goshim"
"$bin" man "$stage/$name/man"
cp "$root/README.md" "$stage/$name/README.md"
mkdir -p "$out"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
(cd "$out" && shasum -a 256 "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
