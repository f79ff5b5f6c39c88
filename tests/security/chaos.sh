#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# SEC-65, the chaos soak: trinity (a syscall fuzzer) as the sandbox's app user
# for N minutes, then stress-ng's os and filesystem classes if the host has it,
# then the host's health: no new oops or BUG in the kernel log, no process
# of the sandbox left, a fresh sandbox still runs. It can crash a vulnerable
# host kernel, so it runs only when asked (AIRLOCK_CHAOS=1), on a throwaway
# machine, never in CI.
#   AIRLOCK_CHAOS=1 tests/security/chaos.sh AIRLOCKD STATE_DIR [MINUTES]
# Exit 0 healthy, 1 unhealthy, 77 skipped (reason printed).
set -u
if [ "${AIRLOCK_CHAOS:-}" != 1 ]; then
        echo "skip: opt-in, set AIRLOCK_CHAOS=1 (this can crash a vulnerable host kernel)"
        exit 77
fi
airlockd=${1:?usage: chaos.sh AIRLOCKD STATE_DIR [MINUTES]}
state=${2:?usage: chaos.sh AIRLOCKD STATE_DIR [MINUTES]}
minutes=${3:-${AIRLOCK_CHAOS_MINUTES:-5}}
trinity=$(command -v trinity) || { echo "skip: trinity is not installed (apt-get install trinity)"; exit 77; }
run() { "$airlockd" --state-dir "$state" run "$@"; }
oopses() { dmesg 2>/dev/null | grep -cE 'Oops|BUG:|general protection fault|Kernel panic|Call Trace' ; }

before=$(oopses)
marker="airlock-chaos-$$"
echo "trinity for $minutes min inside a sandbox (marker $marker)"
# trinity and stress-ng come from the host (Debian, as the image, so the
# image's libraries fit): copied in over stdin, run as the app user.
run -i --pids 512 --memory 1G -- sh -c "cat > /tmp/$marker && chmod +x /tmp/$marker && cd /tmp &&
        timeout -s KILL $((minutes * 60)) /tmp/$marker -q -C 2 --arch 64 2>&1 | tail -5; echo trinity ended" < "$trinity"
if stress=$(command -v stress-ng); then
        echo "stress-ng --class os,filesystem --sequential 1 -t 5 inside a sandbox"
        run -i --pids 512 --memory 1G -- sh -c "cat > /tmp/stress-$marker && chmod +x /tmp/stress-$marker && cd /tmp &&
                timeout -s KILL 900 /tmp/stress-$marker --class os,filesystem --sequential 1 -t 5 2>&1 | tail -3" < "$stress"
fi

bad=0
after=$(oopses)
echo "kernel log: $before -> $after oops/BUG lines"
[ "$after" -le "$before" ] || { echo "UNHEALTHY: the kernel logged an oops or BUG"; dmesg | tail -40; bad=1; }
left=$(pgrep -f "$marker" | wc -l)
echo "processes of the chaos sandbox left: $left"
[ "$left" -eq 0 ] || bad=1
if run -- true; then echo "a fresh sandbox runs"; else echo "UNHEALTHY: a fresh sandbox does not start"; bad=1; fi
exit $bad
