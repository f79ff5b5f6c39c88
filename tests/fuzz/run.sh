#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build the libFuzzer targets (clang, ASan+UBSan) and either fuzz each for a
# while from its checked-in seeds, or replay every corpus once. Any crash
# fails; every crash found becomes a seed (a "regress-" file) in its corpus.
#   tests/fuzz/run.sh [SECONDS_PER_TARGET]   fuzz (default 10 s; CI: 30 s)
#   tests/fuzz/run.sh replay                 each corpus file once
# Every target fuzz_NAME.c has its corpus in tests/fuzz/corpus/NAME.
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-${FUZZ_SECONDS:-10}}
dir=build-fuzz

if ! command -v clang >/dev/null; then
        echo "fuzz: skipped: clang is missing (apt-get install clang libclang-rt-14-dev)"
        exit 0
fi
targets=()
for src in tests/fuzz/fuzz_*.c; do
        grep -q LLVMFuzzerTestOneInput "$src" || continue # a helper unit, not a target
        name=$(basename "$src" .c)
        name=${name#fuzz_}
        if ! ls tests/fuzz/corpus/"$name"/* >/dev/null 2>&1; then
                echo "not ok - fuzz_$name has no seeds in tests/fuzz/corpus/$name"
                exit 1
        fi
        targets+=("$name")
done
[ -f $dir/build.ninja ] || CC=clang meson setup $dir -Dfuzz=true -Dwerror=true >/dev/null || exit 1
# only the targets: the rest of the tree is not needed here
if ! ninja -C $dir "${targets[@]/#/tests/fuzz/fuzz_}" >$dir/fuzz-build.log 2>&1; then
        grep -E "FAILED|error" -A5 $dir/fuzz-build.log | head -40
        echo "fuzz: build failed"
        exit 1
fi

passed=0 failed=0 total=0
for target in "${targets[@]}"; do
        bin=$dir/tests/fuzz/fuzz_$target
        # fuzz_init runs the file methods for real: it confines itself to a
        # scratch root, which takes root (see fuzz_init.c)
        if [ "$target" = init ] && [ "$(id -u)" != 0 ]; then
                echo "ok - fuzz_init # SKIP needs root to confine the file methods to a scratch root"
                continue
        fi
        work=$(mktemp -d)
        log=$work/log
        if [ "$mode" = replay ]; then
                FUZZ_INIT_RW=$work $bin -rss_limit_mb=2048 -timeout=10 -artifact_prefix="$work/" \
                        tests/fuzz/corpus/"$target"/* >"$log" 2>&1
        else
                # a fixed seed: the same exploration on every run, so CI results repeat
                FUZZ_INIT_RW=$work $bin -seed=1 -max_total_time="$mode" -rss_limit_mb=2048 -timeout=10 \
                        -print_final_stats=1 -artifact_prefix="$work/" "$work" "tests/fuzz/corpus/$target" \
                        >"$log" 2>&1
        fi
        rc=$?
        if [ $rc -eq 0 ] && [ "$mode" = replay ]; then
                n=$(grep -c '^Executed ' "$log")
                echo "ok - fuzz_$target: replayed $n corpus files"
                total=$((total + n))
        elif [ $rc -eq 0 ]; then
                n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
                echo "ok - fuzz_$target: ${n:-?} executions in ${mode} s"
                total=$((total + ${n:-0}))
        else
                echo "not ok - fuzz_$target crashed; the log and the input are in $work:"
                grep -E "ERROR|SUMMARY|runtime error|Test unit written|#[0-9]+ 0x" "$log" | head -30
                echo "  reproduce: $bin $work/crash-* ; then add it as tests/fuzz/corpus/$target/regress-NAME"
                failed=$((failed + 1))
                continue
        fi
        passed=$((passed + 1))
        rm -rf "$work"
done
if [ "$mode" = replay ]; then
        echo "fuzz: $passed passed, $failed failed; $total corpus files replayed"
else
        echo "fuzz: $passed passed, $failed failed; $total executions in total"
fi
[ $failed -eq 0 ]
