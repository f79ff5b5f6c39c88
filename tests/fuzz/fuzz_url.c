/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: what a fetch reads from its client or its upstream before it
 * dials: a URL, a redirect's Location resolved against one, and the answer
 * of the sandbox's name server. The first byte picks which. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/dns_stub.h"
#include "net/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_url(const char *s)
{
        struct net_url u;
        char host[NET_NAME_MAX + 16];
        int r = net_url_parse(s, &u);

        if (r == 0) {
                if (u.target[0] != '/' || !u.host[0] || u.port == 0 ||
                    net_url_host_header(&u, host, sizeof(host)) <= 0)
                        __builtin_trap();
                /* a request-target never carries what would split a request line */
                if (strpbrk(u.target, " \r\n") || strpbrk(u.host, " \r\n/"))
                        __builtin_trap();
        } else if (r != -EINVAL && r != -EPROTONOSUPPORT && r != -ENAMETOOLONG) {
                __builtin_trap();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char s[AL_FETCH_MAX_URL + 2], out[AL_FETCH_MAX_URL + 1];
        uint8_t ip[4];

        if (size < 1)
                return 0;
        switch (data[0] % 3) {
        case 0:
                if (size - 1 >= sizeof(s))
                        return 0;
                memcpy(s, data + 1, size - 1);
                s[size - 1] = '\0';
                check_url(s);
                break;
        case 1: {
                long n = net_url_resolve("https://base.test/a/b/c?q", (const char *)data + 1, size - 1, out,
                                         sizeof(out));
                if (n >= 0) {
                        if ((size_t)n != strlen(out) || (size_t)n >= sizeof(out))
                                __builtin_trap();
                        check_url(out);
                } else if (n != -EINVAL && n != -ENAMETOOLONG) {
                        __builtin_trap();
                }
                break;
        }
        default:
                (void)net_dns_stub_answer(data + 1, size - 1, 0x0102, ip);
                break;
        }
        return 0;
}
