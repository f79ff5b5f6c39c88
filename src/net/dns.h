/* SPDX-License-Identifier: Apache-2.0 */
/* DNS messages over UDP (RFC 1035), only as much as a stub resolver's
 * question and a one-address answer need. Pure and allocation-free: the
 * sandbox's name server (src/proxy/dnsd.c) parses with it, and so does the
 * fuzzer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy.h"

#define NET_DNS_MAX_MSG 4096 /* a query or reply over UDP, EDNS sized */
#define NET_DNS_HEADER_LEN 12
#define NET_DNS_MAX_WIRE_NAME 255 /* a name in wire form, length bytes and root included */
#define NET_DNS_MAX_REPLY (NET_DNS_HEADER_LEN + NET_DNS_MAX_WIRE_NAME + 4 + 16)

#define NET_DNS_TYPE_A 1
#define NET_DNS_TYPE_AAAA 28
#define NET_DNS_TYPE_OPT 41
#define NET_DNS_CLASS_IN 1

#define NET_DNS_RCODE_NOERROR 0
#define NET_DNS_RCODE_FORMERR 1
#define NET_DNS_RCODE_SERVFAIL 2
#define NET_DNS_RCODE_NXDOMAIN 3
#define NET_DNS_RCODE_NOTIMP 4
#define NET_DNS_RCODE_REFUSED 5

/* Header flags, and the two high bits that mark a compression pointer. */
#define NET_DNS_FLAG_QR 0x8000u
#define NET_DNS_FLAG_AA 0x0400u
#define NET_DNS_FLAG_RD 0x0100u
#define NET_DNS_FLAG_RA 0x0080u
#define NET_DNS_LABEL_KIND_MASK 0xc0u /* 11: a pointer; 01 and 10: extended types */

/* Big-endian 16-bit fields, for the server (dns.c) and the stub (dns_stub.c). */
static inline uint16_t net_dns_get16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint8_t *net_dns_put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
        return p + 2;
}

struct net_dns_query {
        uint16_t id;
        bool rd;                             /* recursion desired: echoed */
        char name[NET_NAME_MAX + 1];         /* normalized: lower case, no trailing dot */
        uint8_t wire[NET_DNS_MAX_WIRE_NAME]; /* the name as asked, case kept, for the echo */
        size_t wire_len;
        uint16_t qtype, qclass;
};

/* Parse a standard query with one question. Refused: responses, opcodes
 * other than QUERY (-EOPNOTSUPP, for a NOTIMP answer), other than one
 * question, answer or authority records, additional records other than one
 * EDNS OPT (ignored), compression in the question, names that are not host
 * names (labels of letters, digits, '-' and '_'; the root name too), and
 * truncated or trailing bytes (-EINVAL). ret is written only on success. */
int net_dns_parse_query(const uint8_t *msg, size_t len, struct net_dns_query *ret);

/* Build the answer to q: id, RD and the question echoed, AA and RA set, and
 * when ipv4 is given one A record (whatever q->qtype was: the caller
 * decides) pointing back at the question's name. An ipv4 with an rcode
 * other than NOERROR is refused. Returns the length, -ENOSPC if cap is too
 * small (NET_DNS_MAX_REPLY always suffices), -EINVAL. */
ssize_t net_dns_build_reply(const struct net_dns_query *q, int rcode, const uint8_t ipv4[4], uint32_t ttl, uint8_t *out,
                            size_t cap);

/* Build a header-only answer (no question) to a message whose question
 * could not be parsed, e.g. FORMERR, NOTIMP or REFUSED: its id, opcode and
 * RD echoed. Responses are not answered (-EINVAL), nor messages shorter
 * than a header. */
ssize_t net_dns_build_error(const uint8_t *msg, size_t len, int rcode, uint8_t *out, size_t cap);
