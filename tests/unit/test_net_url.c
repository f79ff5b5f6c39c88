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

#include "net/url.h"

static void test_parse(void **state)
{
        struct net_url u;
        char host[300];

        assert_int_equal(net_url_parse("http://Example.COM/a/b?x=1&y", &u), 0);
        assert_false(u.https);
        assert_false(u.ip);
        assert_string_equal(u.host, "example.com");
        assert_int_equal(u.port, 80);
        assert_string_equal(u.target, "/a/b?x=1&y");
        assert_int_equal(net_url_host_header(&u, host, sizeof(host)), 11);
        assert_string_equal(host, "example.com");

        assert_int_equal(net_url_parse("https://api.example.test:8443", &u), 0);
        assert_true(u.https);
        assert_int_equal(u.port, 8443);
        assert_string_equal(u.target, "/");
        net_url_host_header(&u, host, sizeof(host));
        assert_string_equal(host, "api.example.test:8443");

        assert_int_equal(net_url_parse("https://h.test:443/#frag", &u), 0);
        assert_false(u.port_given); /* the default port is not repeated in Host */
        assert_string_equal(u.target, "/");

        assert_int_equal(net_url_parse("http://[::1]:8080/x", &u), 0);
        assert_true(u.ipv6 && u.ip);
        assert_string_equal(u.host, "::1");
        assert_int_equal(u.port, 8080);
        net_url_host_header(&u, host, sizeof(host));
        assert_string_equal(host, "[::1]:8080");

        assert_int_equal(net_url_parse("http://203.0.113.5/", &u), 0);
        assert_true(u.ip);
        assert_false(u.ipv6);
        assert_int_equal(net_url_parse("http://h.test./?q", &u), 0);
        assert_string_equal(u.host, "h.test.");
        assert_string_equal(u.target, "/?q");
        assert_int_equal(net_url_parse("http://h.test:/", &u), 0);
        assert_int_equal(u.port, 80);
}

static void test_parse_refusals(void **state)
{
        struct net_url u;
        char big[AL_FETCH_MAX_URL + 64];

        memset(&u, 0x5a, sizeof(u));
        assert_int_equal(net_url_parse("ftp://h.test/", &u), -EPROTONOSUPPORT);
        assert_int_equal(net_url_parse("file:///etc/passwd", &u), -EPROTONOSUPPORT);
        assert_int_equal(net_url_parse("http:/h.test/", &u), -EINVAL);
        assert_int_equal(net_url_parse("/relative", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://user:pw@h.test/", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://h.test:0/", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://h.test:65536/", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://h.test:80x/", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://h..test/", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://h%41.test/", &u), -EINVAL);
        assert_int_equal(net_url_parse("http:///x", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://[::1/", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://[zz]/", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://[::1]x/", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://h.test/a b", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://h.test/\r\nX: y", &u), -EINVAL);
        assert_int_equal(net_url_parse("http://h.test/\xc3\xa9", &u), -EINVAL);
        memcpy(big, "http://h.test/", 14);
        memset(big + 14, 'a', sizeof(big) - 15);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(net_url_parse(big, &u), -ENAMETOOLONG);
        assert_int_equal(u.port, 0x5a5a); /* untouched on failure */
}

static void check_resolve(const char *base, const char *ref, const char *want)
{
        char out[AL_FETCH_MAX_URL + 1];
        long n = net_url_resolve(base, ref, strlen(ref), out, sizeof(out));

        assert_true(n > 0);
        assert_string_equal(out, want);
        assert_int_equal((size_t)n, strlen(want));
}

/* RFC 3986, 5.4.1 and 5.4.2, with an http base. */
static void test_resolve_rfc(void **state)
{
        const char *b = "http://a/b/c/d;p?q";

        check_resolve(b, "g", "http://a/b/c/g");
        check_resolve(b, "./g", "http://a/b/c/g");
        check_resolve(b, "g/", "http://a/b/c/g/");
        check_resolve(b, "/g", "http://a/g");
        check_resolve(b, "//g", "http://g");
        check_resolve(b, "?y", "http://a/b/c/d;p?y");
        check_resolve(b, "g?y", "http://a/b/c/g?y");
        check_resolve(b, "#s", "http://a/b/c/d;p?q");
        check_resolve(b, "g#s", "http://a/b/c/g");
        check_resolve(b, "", "http://a/b/c/d;p?q");
        check_resolve(b, ".", "http://a/b/c/");
        check_resolve(b, "./", "http://a/b/c/");
        check_resolve(b, "..", "http://a/b/");
        check_resolve(b, "../", "http://a/b/");
        check_resolve(b, "../g", "http://a/b/g");
        check_resolve(b, "../..", "http://a/");
        check_resolve(b, "../../g", "http://a/g");
        check_resolve(b, "../../../g", "http://a/g");
        check_resolve(b, "/./g", "http://a/g");
        check_resolve(b, "/../g", "http://a/g");
        check_resolve(b, "g.", "http://a/b/c/g.");
        check_resolve(b, ".g", "http://a/b/c/.g");
        check_resolve(b, "g..", "http://a/b/c/g..");
        check_resolve(b, "./../g", "http://a/b/g");
        check_resolve(b, "./g/.", "http://a/b/c/g/");
        check_resolve(b, "g/./h", "http://a/b/c/g/h");
        check_resolve(b, "g/../h", "http://a/b/c/h");
        check_resolve(b, "g;x=1/./y", "http://a/b/c/g;x=1/y");
        check_resolve(b, "g;x=1/../y", "http://a/b/c/y");
        check_resolve(b, "HTTPS://Other.test:8443/x?z", "https://Other.test:8443/x?z");
}

static void test_resolve_browser_habits(void **state)
{
        char out[64];

        check_resolve("https://h.test", "x", "https://h.test/x");
        check_resolve("https://h.test/a/b", " /sp ace\t\n ", "https://h.test/sp%20ace");
        check_resolve("https://h.test/a/b", "\\back\\slash?q\\", "https://h.test/back/slash?q\\");
        check_resolve("https://h.test/", "/\xc3\xa9", "https://h.test/%C3%A9");
        assert_int_equal(net_url_resolve("https://h.test/", "/a-long-path-here", 16, out, 20), -ENAMETOOLONG);
        assert_int_equal(net_url_resolve("/no-scheme", "x", 1, out, sizeof(out)), -EINVAL);
}

static void test_same_origin(void **state)
{
        struct net_url a, b;

        net_url_parse("https://h.test/x", &a);
        net_url_parse("https://H.test:443/y", &b);
        assert_true(net_url_same_origin(&a, &b));
        net_url_parse("http://h.test/x", &b);
        assert_false(net_url_same_origin(&a, &b));
        net_url_parse("https://h.test:8443/x", &b);
        assert_false(net_url_same_origin(&a, &b));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_parse_refusals),
                cmocka_unit_test(test_resolve_rfc),
                cmocka_unit_test(test_resolve_browser_habits),
                cmocka_unit_test(test_same_origin),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
