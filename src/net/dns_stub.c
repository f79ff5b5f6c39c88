/* SPDX-License-Identifier: Apache-2.0 */
#include "dns_stub.h"

#include <errno.h>
#include <string.h>

#include "dns.h"

#define MAX_RECORDS 64 /* answers read before giving up */

static bool host_byte(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

ssize_t net_dns_stub_query(uint16_t id, const char *name, uint8_t *out, size_t cap)
{
        size_t n = strlen(name), o = NET_DNS_HEADER_LEN;

        if (n && name[n - 1] == '.')
                n--;
        if (n == 0 || n + 2 > NET_DNS_MAX_WIRE_NAME)
                return -EINVAL;
        if (cap < NET_DNS_HEADER_LEN + n + 2 + 4)
                return -ENOSPC;
        memset(out, 0, NET_DNS_HEADER_LEN);
        net_dns_put16(out, id);
        net_dns_put16(out + 2, NET_DNS_FLAG_RD);
        net_dns_put16(out + 4, 1);
        for (size_t i = 0; i < n;) {
                size_t l = 0;
                while (i + l < n && name[i + l] != '.') {
                        if (!host_byte(name[i + l]))
                                return -EINVAL;
                        l++;
                }
                if (l == 0 || l > 63)
                        return -EINVAL;
                out[o++] = (uint8_t)l;
                memcpy(out + o, name + i, l);
                o += l;
                i += l + 1;
                if (i == n && name[n - 1] == '.') /* "a..": an empty last label */
                        return -EINVAL;
        }
        out[o++] = 0;
        net_dns_put16(out + o, NET_DNS_TYPE_A);
        net_dns_put16(out + o + 2, NET_DNS_CLASS_IN);
        return (ssize_t)(o + 4);
}

/* Step over a name at *off: labels, ending in the root or one pointer. */
static int skip_name(const uint8_t *msg, size_t len, size_t *off)
{
        size_t pos = *off;

        for (;;) {
                if (pos >= len)
                        return -EINVAL;
                uint8_t l = msg[pos];
                if ((l & NET_DNS_LABEL_KIND_MASK) == NET_DNS_LABEL_KIND_MASK) {
                        if (len - pos < 2)
                                return -EINVAL;
                        *off = pos + 2;
                        return 0;
                }
                if (l & NET_DNS_LABEL_KIND_MASK)
                        return -EINVAL;
                if (l == 0) {
                        *off = pos + 1;
                        return 0;
                }
                if (pos - *off + l + 2 > NET_DNS_MAX_WIRE_NAME)
                        return -EINVAL;
                pos += 1u + l;
        }
}

int net_dns_stub_answer(const uint8_t *msg, size_t len, uint16_t id, uint8_t ret_ipv4[4])
{
        size_t off = NET_DNS_HEADER_LEN;
        uint16_t flags, qd, an;

        if (len < NET_DNS_HEADER_LEN || len > NET_DNS_MAX_MSG)
                return -EINVAL;
        flags = net_dns_get16(msg + 2);
        if (net_dns_get16(msg) != id || !(flags & NET_DNS_FLAG_QR))
                return -ESRCH;
        if ((flags & 0xf) == NET_DNS_RCODE_NXDOMAIN)
                return -ENOENT;
        if ((flags & 0xf) != NET_DNS_RCODE_NOERROR)
                return -EIO;
        qd = net_dns_get16(msg + 4);
        an = net_dns_get16(msg + 6);
        if (qd > 1)
                return -EINVAL;
        if (qd == 1) {
                if (skip_name(msg, len, &off) < 0 || len - off < 4)
                        return -EINVAL;
                off += 4;
        }
        for (unsigned i = 0; i < an && i < MAX_RECORDS; i++) {
                if (skip_name(msg, len, &off) < 0 || len - off < 10)
                        return -EINVAL;
                uint16_t type = net_dns_get16(msg + off), cls = net_dns_get16(msg + off + 2),
                         rdlen = net_dns_get16(msg + off + 8);
                off += 10;
                if (len - off < rdlen)
                        return -EINVAL;
                if (type == NET_DNS_TYPE_A && cls == NET_DNS_CLASS_IN && rdlen == 4) {
                        memcpy(ret_ipv4, msg + off, 4);
                        return 0;
                }
                off += rdlen;
        }
        return -ENODATA;
}
