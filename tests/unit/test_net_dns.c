/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "net/dns.h"

/* What glibc's res_mkquery sends for "example.com" A. */
static const uint8_t glibc_a[] = { 0xc4, 0x13, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                   0x00, 0x00, 0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',
                                   0x03, 'c',  'o',  'm',  0x00, 0x00, 0x01, 0x00, 0x01 };

/* A dig-style query: RD and AD, EDNS with a client cookie. */
static const uint8_t dig_edns[] = { 0x12, 0x34, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                    0x00, 0x01, 0x03, 'W',  'w',  'W',  0x07, 'E',  'x',  'a',
                                    'm',  'p',  'l',  'e',  0x03, 'O',  'r',  'g',  0x00, 0x00,
                                    0x1c, 0x00, 0x01, /* OPT */ 0x00, 0x00, 0x29, 0x04, 0xd0,
                                    0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08,
                                    1,    2,    3,    4,    5,    6,    7,    8 };

/* A query for the labels in `name` ("a.b.c", no compression). Returns its length. */
static size_t build_query(uint8_t *out, uint16_t flags, const char *name, uint16_t qtype)
{
        size_t n = 12;

        memset(out, 0, 12);
        out[0] = 0xab;
        out[1] = 0xcd;
        out[2] = (uint8_t)(flags >> 8);
        out[3] = (uint8_t)flags;
        out[5] = 1;
        while (*name) {
                const char *dot = strchr(name, '.');
                size_t l = dot ? (size_t)(dot - name) : strlen(name);
                out[n++] = (uint8_t)l;
                memcpy(out + n, name, l);
                n += l;
                name += l + (dot ? 1 : 0);
        }
        out[n++] = 0;
        out[n++] = (uint8_t)(qtype >> 8);
        out[n++] = (uint8_t)qtype;
        out[n++] = 0;
        out[n++] = 1;
        return n;
}

static void test_parse_glibc(void **state)
{
        struct net_dns_query q;

        assert_int_equal(net_dns_parse_query(glibc_a, sizeof(glibc_a), &q), 0);
        assert_int_equal(q.id, 0xc413);
        assert_true(q.rd);
        assert_string_equal(q.name, "example.com");
        assert_int_equal(q.qtype, NET_DNS_TYPE_A);
        assert_int_equal(q.qclass, NET_DNS_CLASS_IN);
        assert_int_equal(q.wire_len, 13);
        assert_memory_equal(q.wire, glibc_a + 12, 13);
}

static void test_parse_edns(void **state)
{
        struct net_dns_query q;
        uint8_t m[sizeof(dig_edns)];

        assert_int_equal(net_dns_parse_query(dig_edns, sizeof(dig_edns), &q), 0);
        assert_int_equal(q.id, 0x1234);
        assert_string_equal(q.name, "www.example.org");
        assert_memory_equal(q.wire, "\3WwW", 4); /* case kept for the echo */
        assert_int_equal(q.qtype, NET_DNS_TYPE_AAAA);

        /* an option running past the OPT record */
        memcpy(m, dig_edns, sizeof(m));
        m[sizeof(m) - 9] = 9;
        assert_int_equal(net_dns_parse_query(m, sizeof(m), &q), -EINVAL);
        /* an OPT rdata longer than the message */
        memcpy(m, dig_edns, sizeof(m));
        m[sizeof(m) - 13] = 0x0d;
        assert_int_equal(net_dns_parse_query(m, sizeof(m), &q), -EINVAL);
        /* an option header cut short */
        memcpy(m, dig_edns, sizeof(m));
        m[sizeof(m) - 13] = 0x02;
        assert_int_equal(net_dns_parse_query(m, sizeof(m) - 10, &q), -EINVAL);
        /* an additional record that is not OPT */
        memcpy(m, dig_edns, sizeof(m));
        m[35] = 0x01;
        assert_int_equal(net_dns_parse_query(m, sizeof(m), &q), -EINVAL);
        /* OPT with a non-root owner */
        memcpy(m, dig_edns, sizeof(m));
        m[33] = 0x01;
        assert_int_equal(net_dns_parse_query(m, sizeof(m), &q), -EINVAL);
        /* OPT with no options at all */
        memcpy(m, dig_edns, sizeof(m));
        m[43] = 0;
        assert_int_equal(net_dns_parse_query(m, 44, &q), 0);
        /* arcount 1 with no record */
        assert_int_equal(net_dns_parse_query(m, 33, &q), -EINVAL);
}

static void test_parse_header_refusals(void **state)
{
        struct net_dns_query q;
        uint8_t m[64];
        size_t n;

        memset(&q, 0x5a, sizeof(q));
        n = build_query(m, 0x8100, "example.com", 1); /* a response */
        assert_int_equal(net_dns_parse_query(m, n, &q), -EINVAL);
        n = build_query(m, 0x0900, "example.com", 1); /* IQUERY */
        assert_int_equal(net_dns_parse_query(m, n, &q), -EOPNOTSUPP);
        n = build_query(m, 0x2800, "example.com", 1); /* UPDATE */
        assert_int_equal(net_dns_parse_query(m, n, &q), -EOPNOTSUPP);
        assert_int_equal(q.id, 0x5a5a); /* untouched */

        static const size_t count_at[] = { 5, 7, 9, 11 };
        static const uint16_t counts[][4] = { { 0, 0, 0, 0 }, { 2, 0, 0, 0 }, { 1, 1, 0, 0 },
                                              { 1, 0, 1, 0 }, { 1, 0, 0, 2 } };
        for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
                n = build_query(m, 0x0100, "example.com", 1);
                for (size_t j = 0; j < 4; j++)
                        m[count_at[j]] = (uint8_t)counts[i][j];
                assert_int_equal(net_dns_parse_query(m, n, &q), -EINVAL);
        }
        n = build_query(m, 0x0000, "example.com", 1); /* RD clear is fine */
        assert_int_equal(net_dns_parse_query(m, n, &q), 0);
        assert_false(q.rd);
        assert_int_equal(net_dns_parse_query(NULL, n, &q), -EINVAL);
        assert_int_equal(net_dns_parse_query(m, 0, &q), -EINVAL);
}

static void test_parse_truncated_and_trailing(void **state)
{
        struct net_dns_query q;
        uint8_t m[sizeof(dig_edns) + 1];

        for (size_t len = 0; len < sizeof(glibc_a); len++)
                assert_int_equal(net_dns_parse_query(glibc_a, len, &q), -EINVAL);
        for (size_t len = 0; len < sizeof(dig_edns); len++)
                assert_int_equal(net_dns_parse_query(dig_edns, len, &q), -EINVAL);
        memcpy(m, glibc_a, sizeof(glibc_a));
        m[sizeof(glibc_a)] = 0;
        assert_int_equal(net_dns_parse_query(m, sizeof(glibc_a) + 1, &q), -EINVAL);
        memcpy(m, dig_edns, sizeof(dig_edns));
        m[sizeof(dig_edns)] = 0;
        assert_int_equal(net_dns_parse_query(m, sizeof(dig_edns) + 1, &q), -EINVAL);

        /* longer than any query we take */
        uint8_t *big = calloc(1, NET_DNS_MAX_MSG + 1);
        memcpy(big, glibc_a, sizeof(glibc_a));
        assert_int_equal(net_dns_parse_query(big, NET_DNS_MAX_MSG + 1, &q), -EINVAL);
        free(big);
}

static void test_parse_names(void **state)
{
        struct net_dns_query q;
        uint8_t m[400];
        char name[300];
        size_t n;

        /* compression pointer in the question */
        n = build_query(m, 0x0100, "example.com", 1);
        m[12] = 0xc0;
        m[13] = 0x0c;
        assert_int_equal(net_dns_parse_query(m, n, &q), -EINVAL);
        /* extended label types 01 and 10 */
        m[12] = 0x40;
        assert_int_equal(net_dns_parse_query(m, n, &q), -EINVAL);
        m[12] = 0x80;
        assert_int_equal(net_dns_parse_query(m, n, &q), -EINVAL);
        /* the root name */
        n = build_query(m, 0x0100, "", 2);
        assert_int_equal(n, 17);
        assert_int_equal(net_dns_parse_query(m, n, &q), -EINVAL);
        /* bytes that are not a host name's: a dot, a space, NUL, '*' */
        static const char bad_bytes[] = { '.', ' ', '\0', '*', '/', '\x80', '\xff' };
        for (size_t i = 0; i < sizeof(bad_bytes); i++) {
                n = build_query(m, 0x0100, "example.com", 1);
                m[15] = (uint8_t)bad_bytes[i];
                assert_int_equal(net_dns_parse_query(m, n, &q), -EINVAL);
        }
        n = build_query(m, 0x0100, "_sip._tcp.Ex-Ample.com", 33);
        assert_int_equal(net_dns_parse_query(m, n, &q), 0);
        assert_string_equal(q.name, "_sip._tcp.ex-ample.com");
        assert_int_equal(q.qtype, 33);

        /* a 63-byte label passes (64 cannot even be said: it would be 0x40) */
        memset(name, 'a', 63);
        strcpy(name + 63, ".com");
        n = build_query(m, 0x0100, name, 1);
        assert_int_equal(net_dns_parse_query(m, n, &q), 0);
        assert_int_equal(strlen(q.name), 67);

        /* 253 characters (255 in wire form) pass; 254 do not */
        for (size_t i = 0; i < 253; i++)
                name[i] = i % 2 ? '.' : 'a';
        name[253] = '\0';
        n = build_query(m, 0x0100, name, 1);
        assert_int_equal(net_dns_parse_query(m, n, &q), 0);
        assert_int_equal(strlen(q.name), 253);
        assert_int_equal(q.wire_len, 255);
        name[252] = 'b';
        strcpy(name + 253, "b");
        n = build_query(m, 0x0100, name, 1);
        assert_int_equal(net_dns_parse_query(m, n, &q), -EINVAL);
}

static void test_build_reply_a(void **state)
{
        static const uint8_t addr[4] = { 198, 18, 0, 7 };
        static const uint8_t want[] = {
                0xc4, 0x13, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                0x07, 'e',  'x',  'a',  'm',  'p',  'l',  'e',  0x03, 'c',  'o',  'm',
                0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00,
                0x00, 0x00, 0x3c, 0x00, 0x04, 198,  18,   0,    7,
        };
        struct net_dns_query q;
        uint8_t out[NET_DNS_MAX_REPLY];

        assert_int_equal(net_dns_parse_query(glibc_a, sizeof(glibc_a), &q), 0);
        assert_int_equal(net_dns_build_reply(&q, NET_DNS_RCODE_NOERROR, addr, 60, out, sizeof(out)),
                         sizeof(want));
        assert_memory_equal(out, want, sizeof(want));

        /* exactly enough room, and one byte less */
        assert_int_equal(net_dns_build_reply(&q, 0, addr, 60, out, sizeof(want)), sizeof(want));
        assert_int_equal(net_dns_build_reply(&q, 0, addr, 60, out, sizeof(want) - 1), -ENOSPC);
        /* TTLs past 2^31-1 are clamped */
        assert_int_equal(net_dns_build_reply(&q, 0, addr, 0xffffffffu, out, sizeof(out)),
                         sizeof(want));
        assert_memory_equal(out + 35, "\x7f\xff\xff\xff", 4);
}

static void test_build_reply_no_answer(void **state)
{
        struct net_dns_query q;
        uint8_t out[NET_DNS_MAX_REPLY];
        ssize_t n;

        assert_int_equal(net_dns_parse_query(dig_edns, sizeof(dig_edns), &q), 0);
        n = net_dns_build_reply(&q, NET_DNS_RCODE_NOERROR, NULL, 0, out, sizeof(out));
        assert_int_equal(n, 12 + 17 + 4);
        assert_memory_equal(out, "\x12\x34\x85\x80\x00\x01\x00\x00\x00\x00\x00\x00", 12);
        assert_memory_equal(out + 12, dig_edns + 12, 17 + 4); /* question as asked */

        n = net_dns_build_reply(&q, NET_DNS_RCODE_REFUSED, NULL, 0, out, sizeof(out));
        assert_int_equal(n, 33);
        assert_int_equal(out[3], 0x85);
        q.rd = false;
        n = net_dns_build_reply(&q, NET_DNS_RCODE_NXDOMAIN, NULL, 0, out, sizeof(out));
        assert_int_equal(out[2], 0x84);
        assert_int_equal(out[3], 0x83);

        /* refusals */
        static const uint8_t addr[4] = { 1, 2, 3, 4 };
        assert_int_equal(net_dns_build_reply(&q, NET_DNS_RCODE_REFUSED, addr, 1, out, sizeof(out)),
                         -EINVAL);
        assert_int_equal(net_dns_build_reply(&q, 16, NULL, 0, out, sizeof(out)), -EINVAL);
        assert_int_equal(net_dns_build_reply(&q, -1, NULL, 0, out, sizeof(out)), -EINVAL);
        assert_int_equal(net_dns_build_reply(NULL, 0, NULL, 0, out, sizeof(out)), -EINVAL);
        assert_int_equal(net_dns_build_reply(&q, 0, NULL, 0, out, 32), -ENOSPC);
        q.wire_len = 0;
        assert_int_equal(net_dns_build_reply(&q, 0, NULL, 0, out, sizeof(out)), -EINVAL);
        q.wire_len = NET_DNS_MAX_WIRE_NAME + 1;
        assert_int_equal(net_dns_build_reply(&q, 0, NULL, 0, out, sizeof(out)), -EINVAL);
}

static void test_build_error(void **state)
{
        uint8_t m[64], out[NET_DNS_MAX_REPLY];
        size_t n = build_query(m, 0x0900, "example.com", 1);
        struct net_dns_query q;

        assert_int_equal(net_dns_parse_query(m, n, &q), -EOPNOTSUPP);
        assert_int_equal(net_dns_build_error(m, n, NET_DNS_RCODE_NOTIMP, out, sizeof(out)), 12);
        assert_memory_equal(out, "\xab\xcd\x89\x84\0\0\0\0\0\0\0\0", 12);

        /* a header alone, with garbage after it */
        memcpy(m, "\x77\x66\x01\x00\x00\x07", 6);
        assert_int_equal(net_dns_build_error(m, 12, NET_DNS_RCODE_FORMERR, out, sizeof(out)), 12);
        assert_memory_equal(out, "\x77\x66\x81\x81\0\0\0\0\0\0\0\0", 12);

        assert_int_equal(net_dns_build_error(m, 11, NET_DNS_RCODE_FORMERR, out, sizeof(out)),
                         -EINVAL);
        assert_int_equal(net_dns_build_error(m, 12, NET_DNS_RCODE_FORMERR, out, 11), -ENOSPC);
        assert_int_equal(net_dns_build_error(m, 12, 16, out, sizeof(out)), -EINVAL);
        m[2] = 0x81; /* never answer a response */
        assert_int_equal(net_dns_build_error(m, 12, NET_DNS_RCODE_FORMERR, out, sizeof(out)),
                         -EINVAL);
        assert_int_equal(net_dns_build_error(NULL, 12, 1, out, sizeof(out)), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_glibc),
                cmocka_unit_test(test_parse_edns),
                cmocka_unit_test(test_parse_header_refusals),
                cmocka_unit_test(test_parse_truncated_and_trailing),
                cmocka_unit_test(test_parse_names),
                cmocka_unit_test(test_build_reply_a),
                cmocka_unit_test(test_build_reply_no_answer),
                cmocka_unit_test(test_build_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
