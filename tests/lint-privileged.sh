#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The privileged-call boundary (STYLE.md): namespaces, mounts, seccomp and
# cgroup writes appear only in src/runtime/. airlock-init runs inside the
# sandbox and is exempt for what it does to its own processes (none of these).
set -u
cd "$(dirname "$0")/.."
pattern='\<(mount|umount2?|setns|unshare|pivot_root|mount_setattr|open_tree|move_mount)\(|SYS_clone3|seccomp_(init|load|rule_add)|/sys/fs/cgroup'
hits=$(grep -rnE "$pattern" src --include='*.c' --include='*.h' | grep -v '^src/runtime/' || true)
if [ -n "$hits" ]; then
        echo "privileged calls outside src/runtime/:"
        echo "$hits"
        exit 1
fi
echo "privileged-call boundary: clean"
