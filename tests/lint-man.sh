#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The man pages keep up with the binaries: every --flag that `airlockd --help`
# and `airlock --help` print appears in docs/man/airlockd.8 or airlock.1, and
# both pages render without a warning from man/groff.
#   tests/lint-man.sh [BUILD_DIR]
set -uo pipefail
build=$(realpath "${1:-${AIRLOCK_BUILD:-build}}")
cd "$(dirname "$0")/.."
if ! command -v man >/dev/null; then
        echo "lint-man: skipped: man is missing (apt-get install man-db)"
        exit 0
fi
bad=0
check() { # BINARY PAGE
        local bin=$build/$1 page=docs/man/$2 text
        if [ ! -x "$bin" ]; then
                echo "lint-man: $bin is not built"
                bad=1
                return
        fi
        # the roff source with \- as - and font changes gone: flags read as typed
        text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page")
        for flag in $("$bin" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
                if ! grep -qE -- "${flag}([^a-z0-9-]|\$)" <<<"$text"; then
                        echo "lint-man: $page does not mention $1's $flag"
                        bad=1
                fi
        done
        local warn
        warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
        if [ -n "$warn" ]; then
                echo "lint-man: $page renders with warnings:"
                echo "$warn"
                bad=1
        fi
}
check airlockd airlockd.8
check airlock airlock.1
[ $bad -eq 0 ] && echo "lint-man: ok (airlockd.8, airlock.1)"
exit $bad
