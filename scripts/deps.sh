#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Install what Airlock needs to build, run and test, from Debian's packages
# and (for the JavaScript test tooling) npm. Safe to run again.
set -euo pipefail

packages=(
        build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
        libseccomp-dev libcap-dev libjansson-dev libcmocka-dev
        libevent-dev libssl-dev libmnl-dev libnftnl-dev nftables
        libsqlite3-dev libssh-dev libwslay-dev libhttp-parser-dev
        mmdebstrap e2fsprogs bubblewrap util-linux iproute2 procps
        ca-certificates openssl openssh-client
        man-db groff-base
        clang-format clang-tidy cppcheck
)
# Node.js may come from elsewhere than Debian (it bundles npm then): only ask
# Debian for it when there is none.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# airlock-proxy runs as its own system user: it alone can read the egress CA key.
if ! getent passwd airlock-proxy >/dev/null; then
        echo "adding system user airlock-proxy"
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin airlock-proxy
fi
