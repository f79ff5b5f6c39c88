#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every test: the cmocka unit tests, then the end-to-end and security suites
# under Node's test runner (its summary lines come last).
#   tests/run-all.sh BUILD_DIR STATE_DIR
set -uo pipefail
build=$(realpath "${1:-build}")
state_dir=${2:-/var/lib/airlock}
cd "$(dirname "$0")/.."

echo "== static checks"
tests/lint-privileged.sh
lint=$?
tests/lint-cloexec.sh || lint=1
tests/lint-man.sh "$build" || lint=1
tests/lint-static.sh "$build" || lint=1 # clang-format, cppcheck (clang-tidy: tests/ci-extra.sh)

echo "== unit tests (cmocka)"
meson test -C "$build" --suite unit --print-errorlogs
unit=$?

echo "== fuzzing corpora replayed (libFuzzer, ASan+UBSan; the 30 s rounds: tests/ci-extra.sh)"
tests/fuzz/run.sh replay
fuzz=$?

echo "== end-to-end and security tests (node --test)"
AIRLOCK_BUILD=$build AIRLOCK_STATE_DIR=$state_dir \
        node --test --test-concurrency=1 tests/e2e/*.test.mjs tests/security/*.test.mjs
e2e=$?

echo "== soak, load and abuse (node --test; sizes: AIRLOCK_SOAK_CYCLES, AIRLOCK_SOAK_ALIVE)"
AIRLOCK_BUILD=$build AIRLOCK_STATE_DIR=$state_dir \
        node --test --test-concurrency=1 tests/soak/*.test.mjs
soak=$?

[ $lint -eq 0 ] && [ $unit -eq 0 ] && [ $fuzz -eq 0 ] && [ $e2e -eq 0 ] && [ $soak -eq 0 ]
