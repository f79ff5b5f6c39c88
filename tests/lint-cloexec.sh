#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Every descriptor is opened close-on-exec (STYLE.md): nothing of airlockd's,
# airlock-proxy's or airlock-init's may leak into a sandbox's processes.
#   - open/openat/socket/socketpair/accept4/pipe2/memfd_create/epoll_create1/
#     eventfd/signalfd/timerfd_create/inotify_init1 name CLOEXEC in the call, or
#     the call's flags variable was given O_CLOEXEC within 30 lines before;
#   - fopen uses mode "...e";
#   - pipe(), accept(), dup() and epoll_create() (no flags) are not used.
set -u
cd "$(dirname "$0")/.."
bad=0
while IFS=: read -r file line text; do
        case "$text" in
        *CLOEXEC*) continue ;;
        esac
        # a flags variable set earlier in the same function
        if sed -n "$((line > 30 ? line - 30 : 1)),${line}p" "$file" | grep -q 'O_CLOEXEC'; then
                continue
        fi
        echo "$file:$line: no close-on-exec flag:$text"
        bad=1
done < <(grep -rnE '\b(open|openat|socket|socketpair|accept4|pipe2|memfd_create|epoll_create1|eventfd|signalfd|timerfd_create|inotify_init1)\(' src --include='*.c' |
        grep -vE '^\S+:[0-9]+:\s*(/\*|\*|//)' | grep -vE '(struct|static|int|void) +[a-z_]*\(')
if hits=$(grep -rnE 'fopen\([^,]+, *"[rwa]\+?"\)' src --include='*.c'); [ -n "$hits" ]; then
        echo "fopen without \"e\":"; echo "$hits"; bad=1
fi
if hits=$(grep -rnE '[^_a-z](pipe|accept|dup|epoll_create)\(' src --include='*.c' | grep -vE '^\S+:[0-9]+:\s*(/\*|\*|//)'); [ -n "$hits" ]; then
        echo "calls that cannot set close-on-exec:"; echo "$hits"; bad=1
fi
[ $bad -eq 0 ] && echo "close-on-exec: clean"
exit $bad
