#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What CI runs after `make test` and developers rarely need (.ci/run):
#   1. every libFuzzer target for FUZZ_SECONDS (30) under ASan+UBSan, then
#      every corpus replayed (seeds and regression seeds); a crash fails;
#   2. a sanitizer build (build-asan: ASan+UBSan, no fuzzing) in which the
#      unit tests (leak detection on) and the end-to-end and security suites
#      run again; any sanitizer report fails;
#   3. clang-tidy over src/ (tests/lint-static.sh --tidy), too slow for make test.
#   tests/ci-extra.sh [STATE_DIR]
set -uo pipefail
state_dir=${1:-/var/lib/airlock}
cd "$(dirname "$0")/.."
asan=build-asan
fuzz_secs=${FUZZ_SECONDS:-30}
failed=()

echo "== fuzzing: ${fuzz_secs} s per target, then every corpus replayed (libFuzzer, ASan+UBSan)"
tests/fuzz/run.sh "$fuzz_secs" || failed+=(fuzz)
tests/fuzz/run.sh replay || failed+=(fuzz-replay)

echo "== sanitizer build ($asan: ASan+UBSan; airlock-init and the static probes without)"
if [ ! -f $asan/build.ninja ]; then
        meson setup $asan -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true >/dev/null ||
                failed+=(asan-setup)
fi
if ! ninja -C $asan >$asan.log 2>&1; then
        grep -E "FAILED|error" -A5 $asan.log | head -40
        failed+=(asan-build)
fi

# Errors are fatal and go to stderr (the default log_path). Leaks are checked
# in the unit tests only: airlockd forks sandbox children, and one that ends
# through exit() runs LSan over the heap it copied from the daemon, whose
# live objects it then reports as leaks; so detect_leaks=0 for the suites.
# A smaller quarantine keeps ASan's own memory out of the suites' RSS bounds;
# 40 sandboxes back to back (not 200) keep the slower teardown test in time.
common=halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
if [[ " ${failed[*]} " != *" asan-build "* ]]; then
        echo "== unit tests under ASan+UBSan (leak detection on)"
        ASAN_OPTIONS=$common:detect_leaks=1 meson test -C $asan --suite unit --print-errorlogs || failed+=(asan-unit)

        echo "== end-to-end and security tests under ASan+UBSan"
        log=$(mktemp)
        ASAN_OPTIONS=$common:detect_leaks=0:quarantine_size_mb=8:allocator_release_to_os_interval_ms=500 \
        AIRLOCK_TEARDOWN_COUNT=${AIRLOCK_TEARDOWN_COUNT:-40} \
        AIRLOCK_SANITIZERS=1 AIRLOCK_BUILD=$(realpath $asan) AIRLOCK_STATE_DIR=$state_dir \
                node --test --test-concurrency=1 tests/e2e/*.test.mjs tests/security/*.test.mjs 2>&1 | tee "$log"
        [ "${PIPESTATUS[0]}" -eq 0 ] || failed+=(asan-e2e)
        # reports from processes the harness does not watch (airlockd run, the
        # proxy, the CLI) that a test printed
        if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$log"; then
                echo "not ok - a sanitizer report in the end-to-end output:"
                grep -E -A20 "ERROR: (Address|Leak)Sanitizer|runtime error:" "$log" | head -80
                failed+=(asan-report)
        fi
        rm -f "$log"
fi

echo "== clang-tidy"
tests/lint-static.sh --tidy || failed+=(clang-tidy)

if [ ${#failed[@]} -gt 0 ]; then
        echo "ci-extra: FAILED: ${failed[*]}"
        exit 1
fi
echo "ci-extra: all passed"
