#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build the libFuzzer targets (clang, ASan+UBSan) and run each for a while
# from its checked-in seeds; any crash fails. Findings become seeds.
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-${FUZZ_SECONDS:-10}}
dir=build-fuzz

if ! command -v clang >/dev/null; then
        echo "fuzz: skipped: clang is missing (apt-get install clang libclang-rt-14-dev)"
        exit 0
fi
[ -f $dir/build.ninja ] || CC=clang meson setup $dir -Dfuzz=true -Dwerror=true >/dev/null || exit 1
ninja -C $dir >/dev/null || { echo "fuzz: build failed"; exit 1; }

passed=0 failed=0
for target in http rpc config chan ws params proc_net ingress dns sni policy rewrite url conffile; do
        work=$(mktemp -d)
        log=$work/log
        # a fixed seed: the same exploration on every run, so CI results repeat
        if $dir/tests/fuzz/fuzz_$target -seed=1 -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
                -artifact_prefix="$work/" "$work" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
                echo "ok - fuzz_$target: $(grep -o 'Done [0-9]* runs' "$log")"
                passed=$((passed + 1))
        else
                echo "not ok - fuzz_$target crashed; the input is in $work:"
                tail -20 "$log"
                failed=$((failed + 1))
                continue
        fi
        rm -rf "$work"
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
