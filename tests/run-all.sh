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

echo "== unit tests (cmocka)"
meson test -C "$build" --suite unit --print-errorlogs
unit=$?

echo "== fuzzing (libFuzzer, ASan+UBSan)"
tests/fuzz/run.sh
fuzz=$?

echo "== end-to-end and security tests (node --test)"
AIRLOCK_BUILD=$build AIRLOCK_STATE_DIR=$state_dir \
        node --test --test-concurrency=1 tests/e2e/*.test.mjs tests/security/*.test.mjs
e2e=$?

[ $lint -eq 0 ] && [ $unit -eq 0 ] && [ $fuzz -eq 0 ] && [ $e2e -eq 0 ]
