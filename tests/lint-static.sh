#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Static checks over src/ with the build's compile_commands.json:
#   tests/lint-static.sh [BUILD_DIR]          clang-format (check only) and cppcheck
#   tests/lint-static.sh --tidy [BUILD_DIR]   clang-tidy (.clang-tidy), minutes: CI runs it
#                                             from tests/ci-extra.sh
# Configuration: .clang-format and .clang-tidy at the top; cppcheck's below.
# A false positive is silenced where it occurs, with its reason:
#   clang-tidy  // NOLINT(check): why        cppcheck  // cppcheck-suppress id ; why
set -uo pipefail
tidy=false
if [ "${1:-}" = --tidy ]; then
        tidy=true
        shift
fi
cd "$(dirname "$0")/.."
build=${1:-build}
db=$build/compile_commands.json
if [ ! -f "$db" ]; then
        echo "not ok - static checks: no $db (build first: make build)"
        exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# one entry per source file of src/ (some are built into two targets)
python3 - "$db" "$work/cc.json" <<'EOF'
import json, os, sys
out, seen = [], set()
for e in json.load(open(sys.argv[1])):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if "/src/" in f and f not in seen:
        seen.add(f)
        out.append(dict(e, file=f))
json.dump(out, open(sys.argv[2], "w"))
EOF
mapfile -t files < <(python3 -c 'import json,sys; print("\n".join(e["file"] for e in json.load(open(sys.argv[1]))))' "$work/cc.json")
status=0

if $tidy; then
        if ! command -v clang-tidy >/dev/null; then
                echo "clang-tidy: skipped: not installed (scripts/deps.sh installs clang-tidy)"
                exit 0
        fi
        # -Wno-unknown-warning-option: the build's GCC flags, which clang does not
        # know; -U_FORTIFY_SOURCE: the plain calls are analysed, not glibc's
        # checked wrappers
        printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet \
                --extra-arg=-Wno-unknown-warning-option --extra-arg=-U_FORTIFY_SOURCE \
                >"$work/tidy" 2>"$work/tidy.err"
        n=$(grep -cE "(warning|error): .*\[[A-Za-z0-9.,_-]+\]$" "$work/tidy")
        if [ "$n" -gt 0 ]; then
                grep -E -A3 "(warning|error): .*\[[A-Za-z0-9.,_-]+\]$" "$work/tidy" | head -200
                echo "not ok - clang-tidy: $n findings over ${#files[@]} files"
                exit 1
        fi
        echo "ok - clang-tidy: ${#files[@]} files clean (bugprone, cert, clang-analyzer; .clang-tidy)"
        exit 0
fi

if command -v clang-format >/dev/null; then
        mapfile -t all < <(find src -name '*.[ch]' | sort)
        if clang-format --dry-run -Werror "${all[@]}" >"$work/fmt" 2>&1; then
                echo "ok - clang-format: ${#all[@]} files as .clang-format says"
        else
                bad=$(grep -oE "^src/[^:]+" "$work/fmt" | sort -u)
                echo "not ok - clang-format: $(echo "$bad" | wc -l) files differ (clang-format -i FILE):"
                echo "$bad" | sed 's/^/  /' | head -40
                status=1
        fi
else
        echo "clang-format: skipped: not installed (scripts/deps.sh installs clang-format)"
fi

if command -v cppcheck >/dev/null; then
        # jansson's iteration macros, which cppcheck cannot see without its headers
        cat >"$work/jansson.cfg" <<'EOF'
<?xml version="1.0"?>
<def format="2">
  <define name="json_array_foreach(array, index, value)" value="for (index = 0; index &lt; json_array_size(array) &amp;&amp; (value = json_array_get(array, index)); index++)"/>
  <define name="json_object_foreach(object, key, value)" value="for (key = json_object_iter_key(json_object_iter(object)); key &amp;&amp; (value = json_object_iter_value(json_object_key_to_iter(key))); key = json_object_iter_key(json_object_iter_next(object, json_object_key_to_iter(key))))"/>
  <define name="json_object_foreach_safe(object, n, key, value)" value="for (key = json_object_iter_key(json_object_iter(object)); key &amp;&amp; (value = json_object_iter_value(json_object_key_to_iter(key))); key = NULL)"/>
</def>
EOF
        # varFuncNullUB: NULL as a variadic sentinel is ((void *)0) with glibc,
        # the only C library Airlock builds against.
        if cppcheck --project="$work/cc.json" --library="$work/jansson.cfg" --enable=warning,portability \
                --suppress=varFuncNullUB --inline-suppr --error-exitcode=1 --quiet -j "$(nproc)" \
                --template='{file}:{line}: {severity}: {message} [{id}]' 2>"$work/cppcheck"; then
                echo "ok - cppcheck: ${#files[@]} files clean (warning, portability)"
        else
                head -60 "$work/cppcheck"
                echo "not ok - cppcheck: $(grep -c '\[' "$work/cppcheck") findings"
                status=1
        fi
else
        echo "cppcheck: skipped: not installed (scripts/deps.sh installs cppcheck)"
fi
exit $status
