#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mmdebstrap customize hook: runs on the host with the new root in $1.
set -euo pipefail
root=$1
deno_bin=$2

# The app user (uid 1000) with passwordless sudo.
chroot "$root" useradd --create-home --uid 1000 --user-group --shell /bin/bash app
echo 'app ALL=(ALL:ALL) NOPASSWD: ALL' > "$root/etc/sudoers.d/app"
chmod 0440 "$root/etc/sudoers.d/app"
# sudo resolves the host name; airlock writes /etc/hosts per sandbox.
echo 'Defaults !fqdn' > "$root/etc/sudoers.d/airlock"
chmod 0440 "$root/etc/sudoers.d/airlock"

install -m 0755 "$deno_bin" "$root/usr/local/bin/deno"

# No services start in a sandbox, and apt must not try.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
rm -f "$root/etc/hostname"
