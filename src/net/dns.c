/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "dns.h"

#define OPCODE(flags) (((flags) >> 11) & 0xfu)
#define TTL_MAX 0x7fffffffu /* RFC 2181: larger TTLs are read as zero */

static uint8_t *put32(uint8_t *p, uint32_t v)
{
        return net_dns_put16(net_dns_put16(p, (uint16_t)(v >> 16)), (uint16_t)v);
}

static bool host_byte(uint8_t c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The question's name at *off: no compression, host-name bytes only, at
 * most 255 bytes in wire form. Fills q->wire and q->name. */
static int read_name(const uint8_t *msg, size_t len, size_t *off, struct net_dns_query *q)
{
        size_t pos = *off, text = 0;

        for (;;) {
                if (pos >= len)
                        return -EINVAL;
                uint8_t l = msg[pos];
                if (l == 0)
                        break;
                if (l & NET_DNS_LABEL_KIND_MASK)
                        return -EINVAL;
                /* the label, its length byte and the root byte still to come */
                if (pos - *off + 1u + l + 1u > NET_DNS_MAX_WIRE_NAME || len - pos - 1 < l)
                        return -EINVAL;
                if (text)
                        q->name[text++] = '.';
                for (size_t i = 0; i < l; i++) {
                        uint8_t c = msg[pos + 1 + i];
                        if (!host_byte(c))
                                return -EINVAL;
                        q->name[text++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
                }
                pos += 1u + l;
        }
        if (text == 0) /* the root: no host there */
                return -EINVAL;
        q->name[text] = '\0';
        q->wire_len = pos + 1 - *off;
        memcpy(q->wire, msg + *off, q->wire_len);
        *off = pos + 1;
        return 0;
}

/* One EDNS OPT record (RFC 6891): root owner, type 41, well-formed options. */
static int skip_opt(const uint8_t *msg, size_t len, size_t *off)
{
        size_t pos = *off, end;

        if (len - pos < 11 || msg[pos] != 0 || net_dns_get16(msg + pos + 1) != NET_DNS_TYPE_OPT)
                return -EINVAL;
        end = pos + 11 + net_dns_get16(msg + pos + 9);
        if (end > len)
                return -EINVAL;
        for (pos += 11; pos < end; pos += 4u + net_dns_get16(msg + pos + 2))
                if (end - pos < 4 || end - pos - 4 < net_dns_get16(msg + pos + 2))
                        return -EINVAL;
        *off = end;
        return 0;
}

int net_dns_parse_query(const uint8_t *msg, size_t len, struct net_dns_query *ret)
{
        struct net_dns_query q;
        size_t off = NET_DNS_HEADER_LEN;
        uint16_t flags;
        int r;

        if (!msg || len < NET_DNS_HEADER_LEN || len > NET_DNS_MAX_MSG)
                return -EINVAL;
        flags = net_dns_get16(msg + 2);
        if (flags & NET_DNS_FLAG_QR)
                return -EINVAL;
        if (OPCODE(flags) != 0)
                return -EOPNOTSUPP;
        if (net_dns_get16(msg + 4) != 1 || net_dns_get16(msg + 6) != 0 || net_dns_get16(msg + 8) != 0 ||
            net_dns_get16(msg + 10) > 1)
                return -EINVAL;
        memset(&q, 0, sizeof(q));
        q.id = net_dns_get16(msg);
        q.rd = flags & NET_DNS_FLAG_RD;
        r = read_name(msg, len, &off, &q);
        if (r < 0)
                return r;
        if (len - off < 4)
                return -EINVAL;
        q.qtype = net_dns_get16(msg + off);
        q.qclass = net_dns_get16(msg + off + 2);
        off += 4;
        if (net_dns_get16(msg + 10) == 1 && skip_opt(msg, len, &off) < 0)
                return -EINVAL;
        if (off != len)
                return -EINVAL;
        *ret = q;
        return 0;
}

static uint8_t *put_header(uint8_t *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
        p = net_dns_put16(p, id);
        p = net_dns_put16(p, flags);
        p = net_dns_put16(p, qd);
        p = net_dns_put16(p, an);
        p = net_dns_put16(p, 0);
        return net_dns_put16(p, 0);
}

ssize_t net_dns_build_reply(const struct net_dns_query *q, int rcode, const uint8_t ipv4[4], uint32_t ttl, uint8_t *out,
                            size_t cap)
{
        size_t need;
        uint8_t *p = out;

        if (!q || !out || rcode < 0 || rcode > 15 || (ipv4 && rcode != NET_DNS_RCODE_NOERROR) || q->wire_len < 2 ||
            q->wire_len > NET_DNS_MAX_WIRE_NAME || q->wire[q->wire_len - 1])
                return -EINVAL;
        need = NET_DNS_HEADER_LEN + q->wire_len + 4 + (ipv4 ? 16 : 0);
        if (cap < need)
                return -ENOSPC;
        p = put_header(p, q->id,
                       (uint16_t)(NET_DNS_FLAG_QR | NET_DNS_FLAG_AA | (q->rd ? NET_DNS_FLAG_RD : 0) | NET_DNS_FLAG_RA |
                                  (unsigned)rcode),
                       1, ipv4 ? 1 : 0);
        memcpy(p, q->wire, q->wire_len);
        p += q->wire_len;
        p = net_dns_put16(p, q->qtype);
        p = net_dns_put16(p, q->qclass);
        if (ipv4) {
                p = net_dns_put16(p, 0xc000u | NET_DNS_HEADER_LEN); /* the question's name */
                p = net_dns_put16(p, NET_DNS_TYPE_A);
                p = net_dns_put16(p, NET_DNS_CLASS_IN);
                p = put32(p, ttl > TTL_MAX ? TTL_MAX : ttl);
                p = net_dns_put16(p, 4);
                memcpy(p, ipv4, 4);
                p += 4;
        }
        return p - out;
}

ssize_t net_dns_build_error(const uint8_t *msg, size_t len, int rcode, uint8_t *out, size_t cap)
{
        uint16_t flags;

        if (!msg || !out || len < NET_DNS_HEADER_LEN || rcode < 0 || rcode > 15)
                return -EINVAL;
        flags = net_dns_get16(msg + 2);
        if (flags & NET_DNS_FLAG_QR) /* never answer an answer: two servers could ping-pong */
                return -EINVAL;
        if (cap < NET_DNS_HEADER_LEN)
                return -ENOSPC;
        put_header(out, net_dns_get16(msg),
                   (uint16_t)(NET_DNS_FLAG_QR | (flags & (0xfu << 11)) | (flags & NET_DNS_FLAG_RD) | NET_DNS_FLAG_RA |
                              (unsigned)rcode),
                   0, 0);
        return NET_DNS_HEADER_LEN;
}
