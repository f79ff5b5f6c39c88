/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: DNS queries as a sandbox sends them to the proxy's name server.
 * Whatever parses must build a reply of the expected size that echoes it. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reply(const struct net_dns_query *q)
{
        static const uint8_t addr[4] = { 198, 18, 0, 1 };
        uint8_t out[NET_DNS_MAX_REPLY];
        char again[NET_NAME_MAX + 1];
        size_t len = strlen(q->name);
        ssize_t n;

        if (len == 0 || len > NET_NAME_MAX || q->wire_len != len + 2 ||
            net_name_normalize(q->name, again, sizeof(again)) != (int)len || strcmp(again, q->name))
                __builtin_trap();
        n = net_dns_build_reply(q, NET_DNS_RCODE_NOERROR, addr, 60, out, sizeof(out));
        if (n != (ssize_t)(NET_DNS_HEADER_LEN + q->wire_len + 4 + 16) ||
            memcmp(out + NET_DNS_HEADER_LEN, q->wire, q->wire_len) != 0)
                __builtin_trap();
        n = net_dns_build_reply(q, NET_DNS_RCODE_REFUSED, NULL, 0, out, sizeof(out));
        if (n != (ssize_t)(NET_DNS_HEADER_LEN + q->wire_len + 4))
                __builtin_trap();
        /* too little room is said, never overrun */
        if (net_dns_build_reply(q, 0, addr, 60, out, (size_t)n) != -ENOSPC)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct net_dns_query q;
        uint8_t out[NET_DNS_MAX_REPLY];
        int r = net_dns_parse_query(data, size, &q);

        if (r == 0)
                check_reply(&q);
        else if (r != -EINVAL && r != -EOPNOTSUPP)
                __builtin_trap();
        ssize_t n = net_dns_build_error(data, size, NET_DNS_RCODE_FORMERR, out, sizeof(out));
        if (n != NET_DNS_HEADER_LEN && n != -EINVAL)
                __builtin_trap();
        return 0;
}
