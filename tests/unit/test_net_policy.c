/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "net/policy.h"

/* A socket address from text: IPv4 or IPv6. */
static const struct sockaddr *sa_of(struct sockaddr_storage *ss, const char *addr, uint16_t port)
{
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

        memset(ss, 0, sizeof(*ss));
        if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
                in->sin_family = AF_INET;
                in->sin_port = htons(port);
        } else {
                assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(port);
        }
        return (const struct sockaddr *)ss;
}

static void test_name_normalize(void **state)
{
        char out[NET_NAME_MAX + 1], name[300];

        assert_int_equal(net_name_normalize("Example.COM.", out, sizeof(out)), 11);
        assert_string_equal(out, "example.com");
        assert_int_equal(net_name_normalize("a", out, sizeof(out)), 1);
        assert_int_equal(net_name_normalize("_dmarc.x-y.Z9", out, sizeof(out)), 13);
        assert_string_equal(out, "_dmarc.x-y.z9");
        static const char *const bad[] = { "", ".", "..", "a..b", ".a", "a..", "a b", "a/b",
                                           "a:b", "*.a", "a\tb", "\xc3\xa4.de", "a@b" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(net_name_normalize(bad[i], out, sizeof(out)), -EINVAL);
        assert_int_equal(net_name_normalize(NULL, out, sizeof(out)), -EINVAL);

        /* a label of 63 passes, 64 does not */
        memset(name, 'a', 63);
        strcpy(name + 63, ".com");
        assert_int_equal(net_name_normalize(name, out, sizeof(out)), 67);
        memset(name, 'a', 64);
        strcpy(name + 64, ".com");
        assert_int_equal(net_name_normalize(name, out, sizeof(out)), -EINVAL);

        /* 253 characters pass (with or without a trailing dot), 254 do not */
        for (size_t i = 0; i < 253; i++)
                name[i] = i % 2 ? '.' : 'a';
        name[253] = '\0';
        assert_int_equal(net_name_normalize(name, out, sizeof(out)), 253);
        strcpy(name + 253, ".");
        assert_int_equal(net_name_normalize(name, out, sizeof(out)), 253);
        strcpy(name + 253, "b");
        assert_int_equal(net_name_normalize(name, out, sizeof(out)), -EINVAL);

        /* the caller's buffer */
        assert_int_equal(net_name_normalize("example.com", out, 11), -ENOSPC);
        assert_int_equal(net_name_normalize("example.com", out, 12), 11);
}

static void test_policy_add_kinds(void **state)
{
        struct net_policy p;
        struct al_error err = { 0 };

        net_policy_init_none(&p);
        assert_int_equal(net_policy_add(&p, "Example.com", &err), 0);
        assert_int_equal(net_policy_add(&p, "*.example.net:443", &err), 0);
        assert_int_equal(net_policy_add(&p, "203.0.113.110", &err), 0);
        assert_int_equal(net_policy_add(&p, "203.0.113.110:80", &err), 0);
        assert_int_equal(net_policy_add(&p, "[2001:db8::1]:80", &err), 0);
        assert_int_equal(net_policy_add(&p, "2001:db8::2", &err), 0);
        assert_int_equal(net_policy_add(&p, "[::ffff:198.51.100.7]", &err), 0);
        assert_int_equal(net_policy_add(&p, "host.", &err), 0);
        assert_int_equal(err.code, 0);
        assert_int_equal(p.n_rules, 8);
        assert_int_equal(p.rules[0].kind, NET_RULE_NAME);
        assert_string_equal(p.rules[0].name, "example.com");
        assert_int_equal(p.rules[0].port, 0);
        assert_int_equal(p.rules[1].kind, NET_RULE_WILDCARD);
        assert_string_equal(p.rules[1].name, "example.net");
        assert_int_equal(p.rules[1].port, 443);
        assert_int_equal(p.rules[2].kind, NET_RULE_ADDR4);
        assert_memory_equal(p.rules[2].addr, "\xcb\x00\x71\x6e", 4);
        assert_int_equal(p.rules[3].port, 80);
        assert_int_equal(p.rules[4].kind, NET_RULE_ADDR6);
        assert_int_equal(p.rules[4].port, 80);
        assert_int_equal(p.rules[5].kind, NET_RULE_ADDR6);
        assert_int_equal(p.rules[6].kind, NET_RULE_ADDR4); /* mapped becomes IPv4 */
        assert_string_equal(p.rules[7].name, "host");
        net_policy_free(&p);
        assert_null(p.rules);
        assert_int_equal(p.n_rules, 0);
}

struct bad_entry {
        const char *entry, *why;
};

static void test_policy_add_bad(void **state)
{
        static const struct bad_entry bad[] = {
                { "example.com:", "empty port" },
                { "example.com:0", "port must be 1 to 65535" },
                { "example.com:65536", "port must be 1 to 65535" },
                { "example.com:123456", "port must be 1 to 65535" },
                { "example.com:http", "port must be a number" },
                { "example.com:-1", "port must be a number" },
                { ":80", "empty host" },
                { "*", "a wildcard is '*.' followed by a domain" },
                { "*example.com", "a wildcard is '*.' followed by a domain" },
                { "*.", "empty host name" },
                { "*.*.example.com", "host names are letters" },
                { "ex*ample.com", "host names are letters" },
                { "exa mple.com", "host names are letters" },
                { "a..b", "empty label" },
                { "[2001:db8::1", "missing ']'" },
                { "[2001:db8::1]x", "unexpected text after ']'" },
                { "[2001:db8::1]:", "empty port" },
                { "[1.2.3.4]", "bad IPv6 address" },
                { "[zz::1]", "bad IPv6 address" },
                { "[]", "empty host" },
                { "fe80::1%eth0", "bad IPv6 address" },
                { "a:b:c", "bad IPv6 address" },
                { "1.2.3.256", "bad IPv4 address" },
                { "10.1.2", "bad IPv4 address" },
                { "*.1.2.3.4", "a wildcard cannot cover an IP address" },
                { "http://example.com", "port must be a number" },
                { "example.com/path", "host names are letters" },
        };
        struct net_policy p;

        net_policy_init_none(&p);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct al_error err = { 0 };
                assert_int_equal(net_policy_add(&p, bad[i].entry, &err), -EINVAL);
                assert_int_equal(err.code, EINVAL);
                if (!strstr(err.msg, bad[i].entry) || !strstr(err.msg, bad[i].why))
                        fail_msg("entry '%s': message '%s' lacks '%s'", bad[i].entry, err.msg,
                                 bad[i].why);
        }
        assert_int_equal(p.n_rules, 0);

        struct al_error err = { 0 };
        assert_int_equal(net_policy_add(&p, "", &err), -EINVAL);
        assert_string_equal(err.msg, "empty host entry");
        err = (struct al_error){ 0 };
        assert_int_equal(net_policy_add(&p, NULL, &err), -EINVAL);

        /* a label too long, a name too long, an entry too long */
        char long_entry[NET_POLICY_MAX_ENTRY + 16];
        memset(long_entry, 'a', 64);
        strcpy(long_entry + 64, ".com");
        err = (struct al_error){ 0 };
        assert_int_equal(net_policy_add(&p, long_entry, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "label longer than 63"));
        for (size_t i = 0; i < 255; i++)
                long_entry[i] = i % 2 ? '.' : 'a';
        long_entry[255] = '\0';
        err = (struct al_error){ 0 };
        assert_int_equal(net_policy_add(&p, long_entry, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "longer than 253"));
        memset(long_entry, 'a', sizeof(long_entry) - 1);
        long_entry[sizeof(long_entry) - 1] = '\0';
        err = (struct al_error){ 0 };
        assert_int_equal(net_policy_add(&p, long_entry, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "longer than"));
        assert_true(strlen(err.msg) < 200); /* quoted, but not in full */

        /* a user's control bytes never reach the message */
        err = (struct al_error){ 0 };
        assert_int_equal(net_policy_add(&p, "evil\n\x1b[31m.com", &err), -EINVAL);
        assert_null(strchr(err.msg, '\n'));
        assert_null(strchr(err.msg, '\x1b'));
        assert_int_equal(p.n_rules, 0);
        net_policy_free(&p);
}

static void test_policy_cap(void **state)
{
        struct net_policy p;
        struct al_error err = { 0 };
        char entry[32];

        net_policy_init_none(&p);
        for (int i = 0; i < NET_POLICY_MAX_RULES; i++) {
                snprintf(entry, sizeof(entry), "h%d.example.com", i);
                assert_int_equal(net_policy_add(&p, entry, &err), 0);
        }
        assert_int_equal(net_policy_add(&p, "one-more.example.com", &err), -E2BIG);
        assert_int_equal(err.code, E2BIG);
        assert_int_equal(p.n_rules, NET_POLICY_MAX_RULES);
        assert_true(net_policy_allows_name(&p, "h255.example.com", 443));
        assert_false(net_policy_allows_name(&p, "one-more.example.com", 443));
        net_policy_free(&p);
}

static void add_all(struct net_policy *p, const char *const *entries, size_t n)
{
        struct al_error err = { 0 };

        net_policy_init_none(p);
        for (size_t i = 0; i < n; i++)
                if (net_policy_add(p, entries[i], &err) < 0)
                        fail_msg("%s", err.msg);
}

static void test_policy_names(void **state)
{
        static const char *const entries[] = { "example.com", "*.example.net", "api.test:443",
                                               "*.svc.test:8443", "203.0.113.110:80" };
        struct net_policy p;

        add_all(&p, entries, sizeof(entries) / sizeof(entries[0]));
        assert_true(net_policy_allows_name(&p, "example.com", 443));
        assert_true(net_policy_allows_name(&p, "EXAMPLE.com.", 80));
        assert_false(net_policy_allows_name(&p, "www.example.com", 443)); /* exact only */
        assert_false(net_policy_allows_name(&p, "notexample.com", 443));
        /* wildcards: any depth below, never the apex, never a look-alike */
        assert_true(net_policy_allows_name(&p, "a.example.net", 1));
        assert_true(net_policy_allows_name(&p, "a.b.c.example.net", 65535));
        assert_false(net_policy_allows_name(&p, "example.net", 443));
        assert_false(net_policy_allows_name(&p, "badexample.net", 443));
        assert_false(net_policy_allows_name(&p, "example.net.evil.com", 443));
        /* ports */
        assert_true(net_policy_allows_name(&p, "api.test", 443));
        assert_false(net_policy_allows_name(&p, "api.test", 80));
        assert_true(net_policy_allows_name(&p, "x.svc.test", 8443));
        assert_false(net_policy_allows_name(&p, "x.svc.test", 443));
        assert_true(net_policy_allows_name(&p, "api.test", 0)); /* 0: the name only */
        /* an IPv4 literal as the name goes by the address entries */
        assert_true(net_policy_allows_name(&p, "203.0.113.110", 80));
        assert_false(net_policy_allows_name(&p, "203.0.113.110", 443));
        assert_false(net_policy_allows_name(&p, "203.0.113.111", 80));
        /* not names */
        assert_false(net_policy_allows_name(&p, "", 443));
        assert_false(net_policy_allows_name(&p, NULL, 443));
        assert_false(net_policy_allows_name(&p, "example.com\n", 443));
        assert_false(net_policy_allows_name(&p, "*.example.net", 443));
        net_policy_free(&p);

        /* empty list: nothing; absent (any): everything; zeroed: nothing */
        struct net_policy none, any, zero = { 0 };
        net_policy_init_none(&none);
        net_policy_init_any(&any);
        assert_false(net_policy_allows_name(&none, "example.com", 443));
        assert_false(net_policy_allows_name(&zero, "example.com", 443));
        assert_true(net_policy_allows_name(&any, "example.com", 443));
        /* a rule turns "any" into a list */
        struct al_error err = { 0 };
        assert_int_equal(net_policy_add(&any, "example.org", &err), 0);
        assert_false(net_policy_allows_name(&any, "example.com", 443));
        assert_true(net_policy_allows_name(&any, "example.org", 443));
        net_policy_free(&any);
        net_policy_free(&none);
        net_policy_free(&zero);
}

static void test_policy_addrs(void **state)
{
        static const char *const entries[] = { "203.0.113.110", "198.51.100.1:443",
                                               "[2001:db8::1]:80", "2001:db8::2",
                                               "[::ffff:192.0.2.9]", "example.com" };
        struct net_policy p, any;
        struct sockaddr_storage ss;
        struct sockaddr unix_sa = { .sa_family = AF_UNIX };

        add_all(&p, entries, sizeof(entries) / sizeof(entries[0]));
        assert_true(net_policy_allows_addr(&p, sa_of(&ss, "203.0.113.110", 1)));
        assert_true(net_policy_allows_addr(&p, sa_of(&ss, "::ffff:203.0.113.110", 443)));
        assert_false(net_policy_allows_addr(&p, sa_of(&ss, "203.0.113.111", 443)));
        assert_true(net_policy_allows_addr(&p, sa_of(&ss, "198.51.100.1", 443)));
        assert_false(net_policy_allows_addr(&p, sa_of(&ss, "198.51.100.1", 80)));
        assert_true(net_policy_allows_addr(&p, sa_of(&ss, "2001:db8::1", 80)));
        assert_false(net_policy_allows_addr(&p, sa_of(&ss, "2001:db8::1", 443)));
        assert_true(net_policy_allows_addr(&p, sa_of(&ss, "2001:db8:0:0::2", 22)));
        assert_false(net_policy_allows_addr(&p, sa_of(&ss, "2001:db8::3", 22)));
        assert_true(net_policy_allows_addr(&p, sa_of(&ss, "192.0.2.9", 22)));
        assert_true(net_policy_allows_addr(&p, sa_of(&ss, "::ffff:192.0.2.9", 22)));
        /* IPv4-compatible is not IPv4-mapped */
        assert_false(net_policy_allows_addr(&p, sa_of(&ss, "::192.0.2.9", 22)));
        /* port 0 is no port a connection has */
        assert_false(net_policy_allows_addr(&p, sa_of(&ss, "203.0.113.110", 0)));
        assert_false(net_policy_allows_addr(&p, &unix_sa));
        assert_false(net_policy_allows_addr(&p, NULL));
        net_policy_free(&p);

        net_policy_init_any(&any);
        assert_true(net_policy_allows_addr(&any, sa_of(&ss, "8.8.8.8", 53)));
        net_policy_free(&any);
}

struct class_case {
        const char *addr;
        enum net_addr_class c;
};

static void test_classify(void **state)
{
        static const struct class_case cases[] = {
                { "8.8.8.8", NET_ADDR_PUBLIC },
                { "203.0.113.110", NET_ADDR_PUBLIC },
                { "0.0.0.0", NET_ADDR_UNSPECIFIED },
                { "0.1.2.3", NET_ADDR_UNSPECIFIED },
                { "127.0.0.1", NET_ADDR_LOOPBACK },
                { "127.255.255.254", NET_ADDR_LOOPBACK },
                { "10.0.0.1", NET_ADDR_PRIVATE },
                { "172.16.0.1", NET_ADDR_PRIVATE },
                { "172.31.255.255", NET_ADDR_PRIVATE },
                { "172.32.0.1", NET_ADDR_PUBLIC },
                { "172.15.255.255", NET_ADDR_PUBLIC },
                { "192.168.1.1", NET_ADDR_PRIVATE },
                { "169.254.1.1", NET_ADDR_LINK_LOCAL },
                { "169.254.169.254", NET_ADDR_METADATA },
                { "100.100.100.200", NET_ADDR_METADATA },
                { "168.63.129.16", NET_ADDR_METADATA },
                { "100.64.0.1", NET_ADDR_CGNAT },
                { "100.127.255.255", NET_ADDR_CGNAT },
                { "100.128.0.0", NET_ADDR_PUBLIC },
                { "100.63.255.255", NET_ADDR_PUBLIC },
                { "198.18.0.1", NET_ADDR_BENCHMARK },
                { "198.19.255.255", NET_ADDR_BENCHMARK },
                { "198.20.0.0", NET_ADDR_PUBLIC },
                { "192.0.0.8", NET_ADDR_RESERVED },
                { "224.0.0.1", NET_ADDR_MULTICAST },
                { "239.255.255.250", NET_ADDR_MULTICAST },
                { "240.0.0.1", NET_ADDR_RESERVED },
                { "255.255.255.255", NET_ADDR_RESERVED },
                { "2606:4700::1111", NET_ADDR_PUBLIC },
                { "::", NET_ADDR_UNSPECIFIED },
                { "::1", NET_ADDR_LOOPBACK },
                { "fc00::1", NET_ADDR_PRIVATE },
                { "fd12:3456::1", NET_ADDR_PRIVATE },
                { "fec0::1", NET_ADDR_PRIVATE },
                { "fe80::1", NET_ADDR_LINK_LOCAL },
                { "febf::1", NET_ADDR_LINK_LOCAL },
                { "ff02::1", NET_ADDR_MULTICAST },
                { "fd00:ec2::254", NET_ADDR_METADATA },
                { "fd00:ec2::255", NET_ADDR_PRIVATE },
                { "100::1", NET_ADDR_RESERVED },
                /* IPv4 inside IPv6 */
                { "::ffff:127.0.0.1", NET_ADDR_LOOPBACK },
                { "::ffff:169.254.169.254", NET_ADDR_METADATA },
                { "::ffff:8.8.8.8", NET_ADDR_PUBLIC },
                { "::10.0.0.1", NET_ADDR_PRIVATE },
                { "::8.8.8.8", NET_ADDR_RESERVED },
                { "64:ff9b::10.0.0.1", NET_ADDR_PRIVATE },
                { "64:ff9b::169.254.169.254", NET_ADDR_METADATA },
                { "64:ff9b::8.8.8.8", NET_ADDR_PUBLIC },
                { "64:ff9b:1::1", NET_ADDR_PRIVATE },
                { "2002:7f00:1::", NET_ADDR_LOOPBACK },
                { "2002:a9fe:a9fe::1", NET_ADDR_METADATA },
                { "2002:808:808::1", NET_ADDR_PUBLIC },
                { "2001:0:4136:e378:8000:63bf:80ff:fffe", NET_ADDR_LOOPBACK }, /* ~127.0.0.1 */
                { "2001:0:4136:e378:8000:63bf:f7f7:f7f7", NET_ADDR_PUBLIC },   /* ~8.8.8.8 */
                { "2001:db8::1", NET_ADDR_PUBLIC },
        };
        struct sockaddr_storage ss;
        struct sockaddr unix_sa = { .sa_family = AF_UNIX };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                enum net_addr_class c = net_addr_classify(sa_of(&ss, cases[i].addr, 443));
                if (c != cases[i].c)
                        fail_msg("%s: %s, expected %s", cases[i].addr, net_addr_class_name(c),
                                 net_addr_class_name(cases[i].c));
        }
        assert_int_equal(net_addr_classify(&unix_sa), NET_ADDR_UNKNOWN);
        assert_int_equal(net_addr_classify(NULL), NET_ADDR_UNKNOWN);
}

/* SEC-34: other spellings of a protected address. A name that only libc's
 * lenient inet_aton() would read as an address (decimal, octal, hex, short
 * forms) never matches an address entry; every IPv6 form that carries a
 * protected IPv4 address is judged by it; the unspecified addresses are
 * never public. */
static void test_ssrf_spellings(void **state)
{
        static const char *const lenient[] = { "2130706433", "0177.0.0.1", "0x7f.0.0.1",
                                                "0x7f000001", "127.1", "127.0.1",
                                                "017700000001", "0177.1", "2852039166",
                                                "0xa9.0xfe.0xa9.0xfe", "0251.0376.0251.0376",
                                                "169.254.43518" };
        static const char *const entries[] = { "127.0.0.1", "169.254.169.254", "10.0.0.1" };
        static const struct class_case forms[] = {
                { "::ffff:7f00:1", NET_ADDR_LOOPBACK },
                { "::ffff:a9fe:a9fe", NET_ADDR_METADATA },
                { "::ffff:0.0.0.0", NET_ADDR_UNSPECIFIED },
                { "::ffff:100.100.100.200", NET_ADDR_METADATA },
                { "::ffff:168.63.129.16", NET_ADDR_METADATA },
                { "::ffff:192.168.0.1", NET_ADDR_PRIVATE },
                { "::ffff:100.64.0.1", NET_ADDR_CGNAT },
                { "::7f00:1", NET_ADDR_LOOPBACK },
                { "64:ff9b::7f00:1", NET_ADDR_LOOPBACK },
                { "64:ff9b::a9fe:a9fe", NET_ADDR_METADATA },
                { "64:ff9b::0.0.0.0", NET_ADDR_UNSPECIFIED },
                { "64:ff9b::ac10:1", NET_ADDR_PRIVATE },
                { "2002:a00:1::", NET_ADDR_PRIVATE },
                { "2002:0:0::", NET_ADDR_UNSPECIFIED },
                { "0.0.0.0", NET_ADDR_UNSPECIFIED },
                { "0.255.255.255", NET_ADDR_UNSPECIFIED },
                { "::", NET_ADDR_UNSPECIFIED },
                { "0:0:0:0:0:0:0:1", NET_ADDR_LOOPBACK },
                { "::0:1", NET_ADDR_LOOPBACK },
        };
        struct net_policy p, any;
        struct sockaddr_storage ss;

        add_all(&p, entries, sizeof(entries) / sizeof(entries[0]));
        net_policy_init_any(&any);
        for (size_t i = 0; i < sizeof(lenient) / sizeof(lenient[0]); i++) {
                if (net_policy_allows_name(&p, lenient[i], 80))
                        fail_msg("%s matched an address entry", lenient[i]);
                /* allowNet absent: the name passes, and the proxy decides on
                 * the address it resolves itself (net_addr_classify) */
                assert_true(net_policy_allows_name(&any, lenient[i], 80));
        }
        /* the canonical forms do match, so the refusals above mean something */
        assert_true(net_policy_allows_name(&p, "127.0.0.1", 80));
        assert_true(net_policy_allows_name(&p, "169.254.169.254", 80));
        for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
                enum net_addr_class c = net_addr_classify(sa_of(&ss, forms[i].addr, 80));
                if (c != forms[i].c)
                        fail_msg("%s: %s, expected %s", forms[i].addr, net_addr_class_name(c),
                                 net_addr_class_name(forms[i].c));
        }
        net_policy_free(&p);
        net_policy_free(&any);
}

static void test_class_names(void **state)
{
        for (int i = NET_ADDR_PUBLIC; i <= NET_ADDR_UNKNOWN; i++) {
                const char *n = net_addr_class_name((enum net_addr_class)i);
                assert_non_null(n);
                for (int j = NET_ADDR_PUBLIC; j < i; j++)
                        assert_string_not_equal(n, net_addr_class_name((enum net_addr_class)j));
        }
        assert_string_equal(net_addr_class_name(NET_ADDR_LOOPBACK), "loopback");
        assert_string_equal(net_addr_class_name(NET_ADDR_METADATA), "cloud metadata");
}

static void test_cidr_list(void **state)
{
        struct net_cidr_list l = { 0 };
        struct al_error err = { 0 };
        struct sockaddr_storage ss;

        assert_false(net_cidr_list_contains(&l, sa_of(&ss, "127.0.0.1", 80)));
        assert_int_equal(net_cidr_list_add(&l, "127.0.0.1", &err), 0);
        assert_int_equal(net_cidr_list_add(&l, "10.0.0.0/8", &err), 0);
        assert_int_equal(net_cidr_list_add(&l, "::1", &err), 0);
        assert_int_equal(net_cidr_list_add(&l, "fd00::/8", &err), 0);
        assert_int_equal(net_cidr_list_add(&l, "[fe80::]/10", &err), 0);
        assert_int_equal(net_cidr_list_add(&l, "172.20.1.0/25", &err), 0);
        assert_int_equal(err.code, 0);
        assert_true(net_cidr_list_contains(&l, sa_of(&ss, "127.0.0.1", 80)));
        assert_false(net_cidr_list_contains(&l, sa_of(&ss, "127.0.0.2", 80)));
        assert_true(net_cidr_list_contains(&l, sa_of(&ss, "::ffff:127.0.0.1", 80)));
        assert_true(net_cidr_list_contains(&l, sa_of(&ss, "10.255.0.1", 80)));
        assert_false(net_cidr_list_contains(&l, sa_of(&ss, "11.0.0.1", 80)));
        assert_true(net_cidr_list_contains(&l, sa_of(&ss, "::1", 80)));
        assert_false(net_cidr_list_contains(&l, sa_of(&ss, "::2", 80)));
        assert_true(net_cidr_list_contains(&l, sa_of(&ss, "fdff::1", 80)));
        assert_false(net_cidr_list_contains(&l, sa_of(&ss, "fc00::1", 80)));
        assert_true(net_cidr_list_contains(&l, sa_of(&ss, "febf::1", 80)));
        assert_false(net_cidr_list_contains(&l, sa_of(&ss, "fec0::1", 80)));
        assert_true(net_cidr_list_contains(&l, sa_of(&ss, "172.20.1.127", 80)));
        assert_false(net_cidr_list_contains(&l, sa_of(&ss, "172.20.1.128", 80)));
        assert_false(net_cidr_list_contains(&l, NULL));

        struct net_cidr_list all = { 0 };
        assert_int_equal(net_cidr_list_add(&all, "0.0.0.0/0", &err), 0);
        assert_true(net_cidr_list_contains(&all, sa_of(&ss, "1.2.3.4", 80)));
        assert_false(net_cidr_list_contains(&all, sa_of(&ss, "::1", 80)));
        assert_int_equal(net_cidr_list_add(&all, "::ffff:10.1.0.0", &err), 0);
        assert_int_equal(all.items[1].family, AF_INET);

        static const char *const bad[] = { "",        "10.0.0.0/",  "10.0.0.0/33", "10.0.0.1/8",
                                           "::1/129", "10.0.0.0/x", "10.0.0.0/-1", "example.com",
                                           "10.0.0",  "fd00::/7",   "1.2.3.4/08x", "/8" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err = (struct al_error){ 0 };
                if (net_cidr_list_add(&l, bad[i], &err) != -EINVAL)
                        fail_msg("'%s' accepted", bad[i]);
                assert_non_null(strstr(err.msg, "bad allowed address"));
        }
        err = (struct al_error){ 0 };
        assert_int_equal(net_cidr_list_add(&l, "10.0.0.1/8", &err), -EINVAL);
        assert_non_null(strstr(err.msg, "bits set past the prefix"));
        assert_int_equal(net_cidr_list_add(&l, NULL, &err), -EINVAL);

        while (l.n < NET_CIDR_MAX)
                assert_int_equal(net_cidr_list_add(&l, "192.0.2.1", &err), 0);
        err = (struct al_error){ 0 };
        assert_int_equal(net_cidr_list_add(&l, "192.0.2.1", &err), -E2BIG);
}

static void test_override_parse(void **state)
{
        struct net_override o;
        struct al_error err = { 0 };
        const struct sockaddr_in *in = (const struct sockaddr_in *)&o.addr;
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&o.addr;
        char text[INET6_ADDRSTRLEN];

        assert_int_equal(net_override_parse("API.Example.com=127.0.0.1", &o, &err), 0);
        assert_string_equal(o.name, "api.example.com");
        assert_int_equal(o.match_port, 0);
        assert_int_equal(o.port, 0);
        assert_int_equal(in->sin_family, AF_INET);
        assert_int_equal(in->sin_addr.s_addr, htonl(0x7f000001));

        assert_int_equal(net_override_parse("example.com:443=10.0.0.5:8443", &o, &err), 0);
        assert_int_equal(o.match_port, 443);
        assert_int_equal(o.port, 8443);
        assert_int_equal(ntohs(in->sin_port), 8443);

        assert_int_equal(net_override_parse("example.com=[::1]:8080", &o, &err), 0);
        assert_int_equal(in6->sin6_family, AF_INET6);
        assert_int_equal(o.port, 8080);
        assert_int_equal(ntohs(in6->sin6_port), 8080);
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
        assert_string_equal(text, "::1");

        assert_int_equal(net_override_parse("example.com=fd00::5", &o, &err), 0);
        assert_int_equal(in6->sin6_family, AF_INET6);
        assert_int_equal(net_override_parse("x.test=[::ffff:10.0.0.1]", &o, &err), 0);
        assert_int_equal(in->sin_family, AF_INET);
        assert_int_equal(err.code, 0);

        static const char *const bad[] = {
                "",
                "example.com",
                "=127.0.0.1",
                "example.com=",
                "example.com=127.0.0.1=x",
                "example.com=host.test",
                "example.com=127.0.0.1:0",
                "example.com=127.0.0.1:99999",
                "example.com:0=127.0.0.1",
                "*.example.com=127.0.0.1",
                "[::1]=127.0.0.1",
                "exa mple.com=127.0.0.1",
                "example.com=[127.0.0.1]",
                "example.com=[::1",
                "example.com=300.0.0.1",
                "1.2.3.256=127.0.0.1",
                "10.1.2=127.0.0.1",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err = (struct al_error){ 0 };
                memset(&o, 0xaa, sizeof(o));
                if (net_override_parse(bad[i], &o, &err) != -EINVAL)
                        fail_msg("'%s' accepted", bad[i]);
                assert_non_null(strstr(err.msg, "bad override"));
                assert_int_equal(o.match_port, 0xaaaa); /* untouched on failure */
        }
        assert_int_equal(net_override_parse(NULL, &o, &err), -EINVAL);
        /* an IPv4 literal: where a sandbox dialling that address is sent */
        assert_int_equal(net_override_parse("203.0.113.5:9000=127.0.0.1:9001", &o, &err), 0);
        assert_string_equal(o.name, "203.0.113.5");
        assert_int_equal(o.match_port, 9000);
        assert_int_equal(o.port, 9001);
}

static void test_override_list(void **state)
{
        struct net_override_list l = { 0 };
        struct al_error err = { 0 };
        const struct net_override *o;

        assert_null(net_override_find(&l, "example.com", 443));
        assert_int_equal(net_override_list_add(&l, "example.com=192.0.2.1", &err), 0);
        assert_int_equal(net_override_list_add(&l, "example.com:443=192.0.2.2:8443", &err), 0);
        assert_int_equal(net_override_list_add(&l, "other.test:80=192.0.2.3", &err), 0);
        err = (struct al_error){ 0 };
        assert_int_equal(net_override_list_add(&l, "Example.com.:443=192.0.2.9", &err), -EEXIST);
        assert_non_null(strstr(err.msg, "example.com"));
        err = (struct al_error){ 0 };
        assert_int_equal(net_override_list_add(&l, "bad", &err), -EINVAL);

        o = net_override_find(&l, "EXAMPLE.COM.", 443);
        assert_non_null(o);
        assert_int_equal(o->port, 8443);
        o = net_override_find(&l, "example.com", 80);
        assert_non_null(o);
        assert_int_equal(o->port, 0);
        o = net_override_find(&l, "example.com", 0);
        assert_non_null(o);
        assert_int_equal(o->match_port, 0);
        assert_non_null(net_override_find(&l, "other.test", 80));
        assert_null(net_override_find(&l, "other.test", 81));
        assert_null(net_override_find(&l, "www.example.com", 443));
        assert_null(net_override_find(&l, "not a name", 443));
        assert_null(net_override_find(&l, NULL, 443));
        assert_int_equal(net_override_list_add(&l, "203.0.113.5=127.0.0.1", &err), 0);
        assert_non_null(net_override_find(&l, "203.0.113.5", 443));
        assert_null(net_override_find(&l, "203.0.113.6", 443));
        assert_null(net_override_find(&l, "2001:db8::1", 443));

        char spec[64];
        while (l.n < NET_OVERRIDE_MAX) {
                snprintf(spec, sizeof(spec), "h%zu.test=192.0.2.1", l.n);
                assert_int_equal(net_override_list_add(&l, spec, &err), 0);
        }
        err = (struct al_error){ 0 };
        assert_int_equal(net_override_list_add(&l, "last.test=192.0.2.1", &err), -E2BIG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name_normalize),  cmocka_unit_test(test_policy_add_kinds),
                cmocka_unit_test(test_policy_add_bad),  cmocka_unit_test(test_policy_cap),
                cmocka_unit_test(test_policy_names),    cmocka_unit_test(test_policy_addrs),
                cmocka_unit_test(test_classify),        cmocka_unit_test(test_class_names),
                cmocka_unit_test(test_cidr_list),       cmocka_unit_test(test_override_parse),
                cmocka_unit_test(test_override_list),   cmocka_unit_test(test_ssrf_spellings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
