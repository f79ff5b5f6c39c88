#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build an Airlock image from Debian packages with mmdebstrap.
#   build-image.sh STATE_DIR NAME
# The image lands in STATE_DIR/images/NAME/rootfs. It is rebuilt only when its
# recipe (the files in images/NAME/ and this script) changed; a new build is
# made beside the old one and swapped in at the end, so a failed build never
# leaves a broken image.
set -euo pipefail

state_dir=${1:?usage: build-image.sh STATE_DIR NAME}
name=${2:-default}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
recipe=$here/$name
dest=$state_dir/images/$name
suite=${AIRLOCK_SUITE:-bookworm}

step=0
steps=5
progress() { step=$((step + 1)); printf '[%d/%d] %s\n' "$step" "$steps" "$*"; }
die() { printf 'build-image: %s\n' "$*" >&2; exit 1; }

[ -d "$recipe" ] || die "no recipe for image '$name' in $here"
for tool in mmdebstrap npm sha256sum; do
        command -v "$tool" >/dev/null || die "$tool is missing: run 'make deps' (or apt-get install mmdebstrap npm)"
done

hash=$(cat "$0" "$recipe"/* | sha256sum | cut -d' ' -f1)
if [ -f "$dest/recipe.sha256" ] && [ "$(cat "$dest/recipe.sha256")" = "$hash" ] && [ -d "$dest/rootfs/usr" ]; then
        echo "image '$name' is up to date ($dest/rootfs)"
        exit 0
fi

mkdir -p "$dest" "$state_dir/cache"
work=$(mktemp -d "$dest/build.XXXXXX")
trap 'rm -rf "$work"' EXIT

deno_version=$(tr -d ' \n' < "$recipe/deno-version")
progress "fetching Deno $deno_version from the npm registry"
npm_dir=$state_dir/cache/deno-$deno_version
if [ ! -x "$npm_dir/node_modules/deno/deno" ]; then
        mkdir -p "$npm_dir"
        npm install --silent --no-audit --no-fund --prefix "$npm_dir" "deno@$deno_version" \
                || die "npm install deno@$deno_version failed: is the npm registry reachable?"
fi
deno_bin=$(readlink -f "$npm_dir/node_modules/deno/deno")
[ -x "$deno_bin" ] || deno_bin=$(find "$npm_dir/node_modules/@deno" -name deno -type f | head -n1)
[ -x "$deno_bin" ] || die "the deno npm package did not bring a binary"

progress "installing Debian $suite packages with mmdebstrap (about a minute)"
packages=$(grep -v '^#' "$recipe/packages" | tr '\n' ',' | sed 's/,$//')
mmdebstrap --variant=minbase --include="$packages" \
        --customize-hook="$recipe/customize.sh \"\$1\" $deno_bin" \
        "$suite" "$work/rootfs" 2>&1 | sed -u 's/^/    /'

progress "checking the image"
for f in bin/bash usr/bin/sudo usr/bin/curl usr/bin/git usr/bin/python3 usr/bin/node usr/local/bin/deno; do
        [ -e "$work/rootfs/$f" ] || die "image is missing /$f"
done

progress "swapping the new image in"
echo "$hash" > "$work/recipe.sha256"
if [ -d "$dest/rootfs" ] || [ -L "$dest/rootfs" ]; then
        old=$(mktemp -d "$dest/old.XXXXXX")
        mv "$dest/rootfs" "$old/rootfs"
fi
mv "$work/rootfs" "$dest/rootfs"
mv "$work/recipe.sha256" "$dest/recipe.sha256"
[ -n "${old:-}" ] && rm -rf "$old"
progress "image '$name' ready at $dest/rootfs ($(du -sh "$dest/rootfs" | cut -f1))"
