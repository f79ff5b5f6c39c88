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
#include "net/dns_stub.h"

static void test_query_roundtrip(void **state)
{
        uint8_t q[NET_DNS_MAX_REPLY], a[NET_DNS_MAX_REPLY], ip[4];
        static const uint8_t want_ip[4] = { 198, 18, 0, 7 };
        struct net_dns_query pq;
        ssize_t n, an;

        n = net_dns_stub_query(0xbeef, "Api.Example.Test.", q, sizeof(q));
        assert_int_equal(n, 12 + 18 + 4);
        /* what the door's name server reads, and answers */
        assert_int_equal(net_dns_parse_query(q, (size_t)n, &pq), 0);
        assert_string_equal(pq.name, "api.example.test");
        assert_int_equal(pq.qtype, NET_DNS_TYPE_A);
        assert_true(pq.rd);
        an = net_dns_build_reply(&pq, NET_DNS_RCODE_NOERROR, want_ip, 60, a, sizeof(a));
        assert_true(an > 0);
        assert_int_equal(net_dns_stub_answer(a, (size_t)an, 0xbeef, ip), 0);
        assert_memory_equal(ip, want_ip, 4);
        /* another id is not ours; a query is not an answer */
        assert_int_equal(net_dns_stub_answer(a, (size_t)an, 0xbeee, ip), -ESRCH);
        assert_int_equal(net_dns_stub_answer(q, (size_t)n, 0xbeef, ip), -ESRCH);
        /* no address, NXDOMAIN, SERVFAIL */
        an = net_dns_build_reply(&pq, NET_DNS_RCODE_NOERROR, NULL, 0, a, sizeof(a));
        assert_int_equal(net_dns_stub_answer(a, (size_t)an, 0xbeef, ip), -ENODATA);
        an = net_dns_build_reply(&pq, NET_DNS_RCODE_NXDOMAIN, NULL, 0, a, sizeof(a));
        assert_int_equal(net_dns_stub_answer(a, (size_t)an, 0xbeef, ip), -ENOENT);
        an = net_dns_build_reply(&pq, NET_DNS_RCODE_SERVFAIL, NULL, 0, a, sizeof(a));
        assert_int_equal(net_dns_stub_answer(a, (size_t)an, 0xbeef, ip), -EIO);
}

static void test_query_refusals(void **state)
{
        uint8_t q[NET_DNS_MAX_REPLY];
        char long_label[80];

        assert_int_equal(net_dns_stub_query(1, "", q, sizeof(q)), -EINVAL);
        assert_int_equal(net_dns_stub_query(1, ".", q, sizeof(q)), -EINVAL);
        assert_int_equal(net_dns_stub_query(1, "a..b", q, sizeof(q)), -EINVAL);
        assert_int_equal(net_dns_stub_query(1, "a..", q, sizeof(q)), -EINVAL);
        assert_int_equal(net_dns_stub_query(1, ".a", q, sizeof(q)), -EINVAL);
        assert_int_equal(net_dns_stub_query(1, "a b", q, sizeof(q)), -EINVAL);
        memset(long_label, 'x', 64);
        strcpy(long_label + 64, ".test");
        assert_int_equal(net_dns_stub_query(1, long_label, q, sizeof(q)), -EINVAL);
        assert_int_equal(net_dns_stub_query(1, "a.test", q, 10), -ENOSPC);
}

static void test_answer_malformed(void **state)
{
        /* id 7, QR, one question "a" A IN, one answer by pointer, rdlength 4 */
        uint8_t m[] = { 0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1,
                        0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1 };
        uint8_t ip[4];

        assert_int_equal(net_dns_stub_answer(m, sizeof(m), 7, ip), 0);
        assert_int_equal(ip[0], 10);
        for (size_t n = 0; n < sizeof(m); n++) /* every truncation fails cleanly */
                assert_true(net_dns_stub_answer(m, n, 7, ip) < 0);
        m[30] = 5; /* rdlength past the end */
        assert_int_equal(net_dns_stub_answer(m, sizeof(m), 7, ip), -EINVAL);
        m[30] = 4;
        m[19] = 0x80; /* a label type that does not exist */
        assert_int_equal(net_dns_stub_answer(m, sizeof(m), 7, ip), -EINVAL);
        m[19] = 0xc0;
        m[22] = 5; /* a CNAME-like record of 4 bytes is skipped: no A left */
        assert_int_equal(net_dns_stub_answer(m, sizeof(m), 7, ip), -ENODATA);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_query_roundtrip),
                cmocka_unit_test(test_query_refusals),
                cmocka_unit_test(test_answer_malformed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
