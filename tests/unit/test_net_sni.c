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
#include <openssl/ssl.h>

#include "net/sni.h"
#include "tls_hello.h"

#define BIG (NET_TLS_HELLO_MAX + 4096)

/* ---- ClientHellos made by hand, for the malformed ones ---- */

static uint8_t *put16(uint8_t *p, size_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
        return p + 2;
}

/* A server_name extension with one name of the given type. */
static size_t sni_ext(uint8_t *p, uint8_t type, const char *name, size_t name_len)
{
        uint8_t *s = p;

        p = put16(p, 0);                /* server_name */
        p = put16(p, name_len + 5);     /* extension length */
        p = put16(p, name_len + 3);     /* list length */
        *p++ = type;
        p = put16(p, name_len);
        memcpy(p, name, name_len);
        return (size_t)(p + name_len - s);
}

struct hello {
        size_t session_id, ciphers, compressions;
        const uint8_t *exts; /* NULL: no extensions block */
        size_t exts_len;
        ssize_t exts_len_delta, hs_len_delta; /* lie about lengths */
        size_t trailing;                      /* bytes after the extensions */
};

/* One record holding one ClientHello. Returns the record's length. */
static size_t hello_build(uint8_t *out, const struct hello *h)
{
        uint8_t *p = out + 9;

        p = put16(p, 0x0303);
        memset(p, 0x11, 32);
        p += 32;
        *p++ = (uint8_t)h->session_id;
        memset(p, 0x22, h->session_id);
        p += h->session_id;
        p = put16(p, h->ciphers);
        memset(p, 0x13, h->ciphers);
        p += h->ciphers;
        *p++ = (uint8_t)h->compressions;
        memset(p, 0, h->compressions);
        p += h->compressions;
        if (h->exts) {
                p = put16(p, (size_t)((ssize_t)h->exts_len + h->exts_len_delta));
                memcpy(p, h->exts, h->exts_len);
                p += h->exts_len;
        }
        memset(p, 0, h->trailing);
        p += h->trailing;
        size_t body = (size_t)(p - out - 9), hs = (size_t)((ssize_t)body + h->hs_len_delta);
        out[0] = 0x16;
        put16(out + 1, 0x0301);
        put16(out + 3, body + 4);
        out[5] = 1;
        out[6] = (uint8_t)(hs >> 16);
        put16(out + 7, hs & 0xffff);
        return body + 9;
}

static const struct hello plain = { .session_id = 32, .ciphers = 4, .compressions = 1 };

/* The handshake of a one-record hello cut into records of `chunk` bytes. */
static size_t reframe(const uint8_t *rec, size_t len, size_t chunk, uint8_t *out)
{
        size_t n = 0;

        for (size_t off = 5; off < len; off += chunk) {
                size_t take = len - off < chunk ? len - off : chunk;
                out[n++] = 0x16;
                put16(out + n, 0x0301);
                put16(out + n + 2, take);
                memcpy(out + n + 4, rec + off, take);
                n += 4 + take;
        }
        return n;
}

static int sni_of(const uint8_t *buf, size_t len, char *out)
{
        return net_tls_client_hello_sni(buf, len, out, NET_NAME_MAX + 1);
}

/* ---- TLS ---- */

static void test_openssl_hello(void **state)
{
        uint8_t rec[8192];
        char name[NET_NAME_MAX + 1];
        static const int versions[] = { 0, TLS1_3_VERSION, TLS1_2_VERSION };

        for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
                size_t n = test_tls_client_hello("Api.Example.COM", versions[v], rec, sizeof(rec));
                assert_true(n > 100);
                assert_int_equal(sni_of(rec, n, name), 15);
                assert_string_equal(name, "api.example.com");
                for (size_t len = 0; len < n; len++)
                        if (sni_of(rec, len, name) != -EAGAIN)
                                fail_msg("version %d: prefix of %zu bytes", versions[v], len);
                /* bytes after the ClientHello are not its business */
                memcpy(rec + n, "\x17\x03\x03\x00\x01x", 6);
                assert_int_equal(sni_of(rec, n + 6, name), 15);
        }

        size_t n = test_tls_client_hello(NULL, 0, rec, sizeof(rec));
        assert_true(n > 100);
        assert_int_equal(sni_of(rec, n, name), 0);

        n = test_tls_client_hello("example.com", 0, rec, sizeof(rec));
        assert_int_equal(net_tls_client_hello_sni(rec, n, name, 11), -ENOSPC);
        assert_int_equal(net_tls_client_hello_sni(rec, n, name, 12), 11);
        assert_int_equal(net_tls_client_hello_sni(NULL, n, name, 12), -EINVAL);
}

static void test_split_records(void **state)
{
        static const size_t chunks[] = { 1, 2, 3, 4, 5, 7, 100, 511, 4000 };
        uint8_t rec[8192];
        uint8_t *split = malloc(BIG * 6);
        char name[NET_NAME_MAX + 1];
        size_t n = test_tls_client_hello("split.example", 0, rec, sizeof(rec));

        assert_true(n > 100);
        for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
                size_t m = reframe(rec, n, chunks[i], split);
                assert_int_equal(sni_of(split, m, name), 13);
                assert_string_equal(name, "split.example");
                for (size_t len = 0; len < m; len += chunks[i] > 50 ? 1 : 13)
                        if (sni_of(split, len, name) != -EAGAIN)
                                fail_msg("chunk %zu: prefix of %zu bytes", chunks[i], len);
        }

        /* something other than a handshake record in the middle */
        size_t m = reframe(rec, n, 50, split);
        split[55] = 0x15;
        assert_int_equal(sni_of(split, m, name), -EINVAL);
        /* an empty handshake record */
        m = reframe(rec, n, 50, split);
        put16(split + 58, 0);
        assert_int_equal(sni_of(split, m, name), -EINVAL);
        free(split);
}

static void test_record_header(void **state)
{
        char name[NET_NAME_MAX + 1];

        assert_int_equal(sni_of((const uint8_t *)"", 0, name), -EAGAIN);
        assert_int_equal(sni_of((const uint8_t *)"\x16", 1, name), -EAGAIN);
        assert_int_equal(sni_of((const uint8_t *)"\x16\x03\x01", 3, name), -EAGAIN);
        assert_int_equal(sni_of((const uint8_t *)"\x16\x03\x01\x02\x00", 5, name), -EAGAIN);
        assert_int_equal(sni_of((const uint8_t *)"\x16\x03\x01\x02\x00\x01", 6, name), -EAGAIN);
        /* not TLS: said at once */
        assert_int_equal(sni_of((const uint8_t *)"G", 1, name), -EINVAL);
        assert_int_equal(sni_of((const uint8_t *)"\x17", 1, name), -EINVAL);
        assert_int_equal(sni_of((const uint8_t *)"\x16\x02", 2, name), -EINVAL);
        assert_int_equal(sni_of((const uint8_t *)"\x80\x2e\x01\x03\x01", 5, name), -EINVAL); /* SSLv2 */
        /* not a ClientHello, said at its first byte */
        assert_int_equal(sni_of((const uint8_t *)"\x16\x03\x03\x00\x10\x02", 6, name), -EINVAL);
        /* empty record, oversized record */
        assert_int_equal(sni_of((const uint8_t *)"\x16\x03\x01\x00\x00\x01", 6, name), -EINVAL);
        assert_int_equal(sni_of((const uint8_t *)"\x16\x03\x01\x40\x01\x01", 6, name), -EINVAL);
        /* a ClientHello larger than the cap, said from its header */
        assert_int_equal(sni_of((const uint8_t *)"\x16\x03\x01\x40\x00\x01\x00\x3f\xfd", 9, name),
                         -EINVAL);
        assert_int_equal(sni_of((const uint8_t *)"\x16\x03\x01\x40\x00\x01\x00\x3f\xfc", 9, name),
                         -EAGAIN);
}

static void test_hello_size_cap(void **state)
{
        uint8_t *exts = malloc(BIG), *rec = malloc(BIG), *split = malloc(BIG * 2);
        char name[NET_NAME_MAX + 1];
        struct hello h = plain;
        size_t e = sni_ext(exts, 0, "big.example", 11);

        /* padding (21) so that the handshake message is exactly at the cap */
        size_t fixed = 4 + 2 + 32 + 1 + 32 + 2 + 4 + 1 + 1 + 2 + e + 4;
        size_t pad = NET_TLS_HELLO_MAX - fixed;
        put16(exts + e, 21);
        put16(exts + e + 2, pad);
        memset(exts + e + 4, 0, pad);
        h.exts = exts;
        h.exts_len = e + 4 + pad;
        size_t n = hello_build(rec, &h);
        assert_int_equal(n, NET_TLS_HELLO_MAX + 5);
        assert_int_equal(sni_of(rec, n, name), 11);
        size_t m = reframe(rec, n, 10000, split);
        assert_int_equal(sni_of(split, m, name), 11);
        assert_int_equal(sni_of(split, m - 1, name), -EAGAIN);

        /* one byte more */
        h.exts_len++;
        put16(exts + e + 2, pad + 1);
        n = hello_build(rec, &h);
        m = reframe(rec, n, 10000, split);
        assert_int_equal(sni_of(split, m, name), -EINVAL);
        assert_int_equal(sni_of(split, 20, name), -EINVAL);
        free(exts);
        free(rec);
        free(split);
}

static void test_hello_malformed(void **state)
{
        uint8_t exts[1024], rec[2048];
        char name[NET_NAME_MAX + 1];
        struct hello h = plain;
        size_t e;

        /* no extensions at all, and an empty extensions block */
        assert_int_equal(sni_of(rec, hello_build(rec, &h), name), 0);
        h.exts = exts;
        assert_int_equal(sni_of(rec, hello_build(rec, &h), name), 0);

        e = sni_ext(exts, 0, "Host.Example.", 13);
        h.exts_len = e;
        assert_int_equal(sni_of(rec, hello_build(rec, &h), name), 12);
        assert_string_equal(name, "host.example");

        /* lengths that lie */
        static const ssize_t deltas[] = { -1, 1, 100 };
        for (size_t i = 0; i < 3; i++) {
                h = plain;
                h.exts = exts;
                h.exts_len = e;
                h.exts_len_delta = deltas[i];
                assert_int_equal(sni_of(rec, hello_build(rec, &h), name), -EINVAL);
                h.exts_len_delta = 0;
                h.hs_len_delta = deltas[i];
                size_t n = hello_build(rec, &h);
                int r = sni_of(rec, n, name);
                if (r != -EINVAL && r != -EAGAIN)
                        fail_msg("handshake length %zd off: %d", deltas[i], r);
        }
        h = plain;
        h.exts = exts;
        h.exts_len = e;
        h.trailing = 1;
        assert_int_equal(sni_of(rec, hello_build(rec, &h), name), -EINVAL);

        /* the fixed fields */
        static const struct hello bad_fixed[] = {
                { .session_id = 33, .ciphers = 4, .compressions = 1 },
                { .session_id = 0, .ciphers = 3, .compressions = 1 },
                { .session_id = 0, .ciphers = 0, .compressions = 1 },
                { .session_id = 0, .ciphers = 2, .compressions = 0 },
        };
        for (size_t i = 0; i < sizeof(bad_fixed) / sizeof(bad_fixed[0]); i++) {
                h = bad_fixed[i];
                h.exts = exts;
                h.exts_len = e;
                assert_int_equal(sni_of(rec, hello_build(rec, &h), name), -EINVAL);
        }

        /* a handshake too short for its fixed fields */
        memcpy(rec, "\x16\x03\x01\x00\x08\x01\x00\x00\x04\x03\x03\x00\x00", 13);
        assert_int_equal(sni_of(rec, 13, name), -EINVAL);
}

static void test_sni_extension(void **state)
{
        uint8_t exts[1024], rec[2048], *p;
        char name[NET_NAME_MAX + 1], long_name[300];
        struct hello h = plain;
        size_t e;

        h.exts = exts;
#define CHECK(want)                                                                                \
        do {                                                                                       \
                h.exts_len = e;                                                                    \
                assert_int_equal(sni_of(rec, hello_build(rec, &h), name), want);                   \
        } while (0)

        /* other extensions around it */
        memcpy(exts, "\x00\x17\x00\x00\xff\x01\x00\x01\x00", 9);
        e = 9 + sni_ext(exts + 9, 0, "a.b", 3);
        memcpy(exts + e, "\x00\x2b\x00\x03\x02\x03\x04", 7);
        e += 7;
        CHECK(3);
        /* two server_name extensions */
        e = sni_ext(exts, 0, "a.b", 3);
        e += sni_ext(exts + e, 0, "c.d", 3);
        CHECK(-EINVAL);
        /* an extension header cut short */
        e = sni_ext(exts, 0, "a.b", 3);
        exts[e++] = 0;
        CHECK(-EINVAL);
        exts[e++] = 0x17;
        exts[e++] = 0;
        CHECK(-EINVAL);
        /* only another name type: no host name */
        e = sni_ext(exts, 1, "a.b", 3);
        CHECK(0);
        /* two host names in one list */
        p = exts;
        p = put16(p, 0);
        p = put16(p, 14);
        p = put16(p, 12);
        memcpy(p, "\x00\x00\x03x.y\x00\x00\x03z.w", 12);
        e = 18;
        CHECK(-EINVAL);
        /* an empty list; a list shorter than the extension */
        memcpy(exts, "\x00\x00\x00\x02\x00\x00", 6);
        e = 6;
        CHECK(-EINVAL);
        e = sni_ext(exts, 0, "a.b", 3);
        exts[3]++;
        exts[e++] = 0;
        CHECK(-EINVAL);
        /* names that are not host names */
        static const char *const bad[] = { "a b", "a..b", ".", "*.a.b", "a/b", "\xc3\xa4.de" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                e = sni_ext(exts, 0, bad[i], strlen(bad[i]));
                CHECK(-EINVAL);
        }
        e = sni_ext(exts, 0, "a\0b", 3);
        CHECK(-EINVAL);
        e = sni_ext(exts, 0, "", 0);
        CHECK(-EINVAL);
        /* the longest name, with and without its trailing dot; one longer */
        for (size_t i = 0; i < 254; i++)
                long_name[i] = i % 2 ? '.' : 'a';
        e = sni_ext(exts, 0, long_name, 253);
        CHECK(253);
        e = sni_ext(exts, 0, long_name, 254);
        CHECK(253);
        long_name[253] = 'a';
        e = sni_ext(exts, 0, long_name, 254);
        CHECK(-EINVAL);
#undef CHECK
}

/* ---- HTTP ---- */

static int head_of(const char *s, struct net_http_head *h)
{
        return net_http_request_head((const uint8_t *)s, strlen(s), h);
}

static void test_http_head(void **state)
{
        static const char req[] = "GET /x?y=1 HTTP/1.1\r\nHost: API.Example.com.\r\n"
                                  "User-Agent: curl/8\r\nAccept: */*\r\n\r\nbody bytes";
        struct net_http_head h;

        assert_int_equal(head_of(req, &h), 0);
        assert_string_equal(h.method, "GET");
        assert_string_equal(h.host, "api.example.com");
        assert_int_equal(h.port, 0);
        assert_int_equal(h.head_len, sizeof(req) - 1 - 10);
        assert_false(h.websocket);
        for (size_t len = 0; len < h.head_len; len++)
                if (net_http_request_head((const uint8_t *)req, len, &h) != -EAGAIN)
                        fail_msg("prefix of %zu bytes", len);

        assert_int_equal(head_of("POST / HTTP/1.0\r\nhost:example.com:8080 \r\n\r\n", &h), 0);
        assert_string_equal(h.method, "POST");
        assert_string_equal(h.host, "example.com");
        assert_int_equal(h.port, 8080);
        assert_int_equal(head_of("GET / HTTP/1.1\r\nHost: [2001:DB8:0::1]:443\r\n\r\n", &h), 0);
        assert_string_equal(h.host, "2001:db8::1");
        assert_int_equal(h.port, 443);
        assert_int_equal(head_of("GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", &h), 0);
        assert_string_equal(h.host, "::1");
        assert_int_equal(h.port, 0);
        assert_int_equal(head_of("GET / HTTP/1.1\r\nHost: 203.0.113.9:80\r\n\r\n", &h), 0);
        assert_string_equal(h.host, "203.0.113.9");
        assert_int_equal(h.port, 80);
        /* no Host, an empty Host */
        assert_int_equal(head_of("GET / HTTP/1.0\r\n\r\n", &h), 0);
        assert_string_equal(h.host, "");
        assert_int_equal(h.head_len, 18);
        assert_int_equal(head_of("GET / HTTP/1.1\r\nHost:\r\n\r\n", &h), 0);
        assert_string_equal(h.host, "");
        /* methods and targets of all kinds */
        assert_int_equal(head_of("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n", &h), 0);
        assert_string_equal(h.method, "M-SEARCH");
        assert_int_equal(head_of("CONNECT a.test:443 HTTP/1.1\r\nHost: a.test:443\r\n\r\n", &h), 0);
        assert_int_equal(head_of("GET http://a.test/\xc3\xa4 HTTP/1.1\r\nHost: a.test\r\n\r\n", &h), 0);
        /* obs-text in a value is fine, tabs too */
        assert_int_equal(head_of("GET / HTTP/1.1\r\nX: \xff\tv\r\nHost:\ta\t\r\n\r\n", &h), 0);
        assert_string_equal(h.host, "a");
}

static void test_http_websocket(void **state)
{
        struct net_http_head h;

        assert_int_equal(head_of("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: WebSocket\r\n"
                                 "Connection: keep-alive, Upgrade\r\n\r\n", &h), 0);
        assert_true(h.websocket);
        assert_int_equal(head_of("GET /ws HTTP/1.1\r\nConnection: upgrade\r\nupgrade: h2c, websocket\r\n\r\n",
                                 &h), 0);
        assert_true(h.websocket);
        assert_int_equal(head_of("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", &h), 0);
        assert_false(h.websocket);
        assert_int_equal(head_of("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n", &h), 0);
        assert_false(h.websocket);
        assert_int_equal(head_of("GET /ws HTTP/1.1\r\nConnection: upgraded\r\nUpgrade: websockets\r\n\r\n",
                                 &h), 0);
        assert_false(h.websocket);
}

static void test_http_bad(void **state)
{
        static const char *const bad[] = {
                "GET / HTTP/2.0\r\n\r\n",
                "GET / HTTP/1.10\r\n\r\n",
                "GET / HTTP/1.x\r\n\r\n",
                "GET / http/1.1\r\n\r\n",
                "GET  / HTTP/1.1\r\n\r\n",
                "GET / HTTP/1.1 \r\n\r\n",
                "GET /\r\n\r\n",
                "GET\r\n\r\n",
                " GET / HTTP/1.1\r\n\r\n",
                "G@T / HTTP/1.1\r\n\r\n",
                "GET /a\x01 HTTP/1.1\r\n\r\n",
                "ABCDEFGHIJKLMNOPQ / HTTP/1.1\r\n\r\n",
                "\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
                "GET / HTTP/1.1\nHost: a\r\n\r\n",
                "GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n",
                "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a:0\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a:\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a:80:80\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: user@a\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: [::1]:\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: [1.2.3.4]\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n",
                "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n",
                "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
                "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
        };
        struct net_http_head h;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                if (head_of(bad[i], &h) != -EINVAL)
                        fail_msg("accepted: '%s'", bad[i]);
        /* NUL in a value */
        static const char nul[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
        assert_int_equal(net_http_request_head((const uint8_t *)nul, sizeof(nul) - 1, &h), -EINVAL);
        /* a bad request line is refused before the blank line */
        assert_int_equal(head_of("GET / HTTP/3\r\nHost: a\r\n", &h), -EINVAL);
        assert_int_equal(head_of("GET / HTTP/1.1\nHost: a\r\n", &h), -EINVAL);
        assert_int_equal(head_of("GET / HTTP/1.1\r\nHost: a\r\n", &h), -EAGAIN);
        assert_int_equal(net_http_request_head(NULL, 3, &h), -EINVAL);
        assert_int_equal(net_http_request_head((const uint8_t *)"GET", 3, NULL), -EINVAL);
}

static void test_http_cap(void **state)
{
        uint8_t *buf = malloc(NET_HTTP_HEAD_MAX + 16);
        struct net_http_head h;
        size_t n = (size_t)sprintf((char *)buf, "GET / HTTP/1.1\r\nX-Big: ");

        memset(buf + n, 'a', NET_HTTP_HEAD_MAX + 16 - n);
        assert_int_equal(net_http_request_head(buf, NET_HTTP_HEAD_MAX - 1, &h), -EAGAIN);
        assert_int_equal(net_http_request_head(buf, NET_HTTP_HEAD_MAX, &h), -E2BIG);
        assert_int_equal(net_http_request_head(buf, NET_HTTP_HEAD_MAX + 16, &h), -E2BIG);
        /* a head that ends exactly at the cap */
        memcpy(buf + NET_HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
        assert_int_equal(net_http_request_head(buf, NET_HTTP_HEAD_MAX + 16, &h), 0);
        assert_int_equal(h.head_len, NET_HTTP_HEAD_MAX);
        /* one byte past it */
        memcpy(buf + NET_HTTP_HEAD_MAX - 4, "a\r\n\r\n", 5);
        assert_int_equal(net_http_request_head(buf, NET_HTTP_HEAD_MAX + 16, &h), -E2BIG);
        free(buf);
}

static void test_looks_like_http(void **state)
{
        static const char *const yes[] = { "GET ", "GET / HTTP/1.1", "G", "GE", "GET", "P",
                                           "PATCH /x", "DELETE ", "OPTIONS * HTTP/1.1",
                                           "CONNECT a:443", "PROPFIND /" };
        static const char *const no[] = { "GETX", "GET/", "get ", "\x16\x03\x01", "SSH-2.0-",
                                          "PRI * HTTP/2.0", "X", " GET", "HEADX /" };

        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
                if (!net_looks_like_http((const uint8_t *)yes[i], strlen(yes[i])))
                        fail_msg("'%s' should look like HTTP", yes[i]);
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
                if (net_looks_like_http((const uint8_t *)no[i], strlen(no[i])))
                        fail_msg("'%s' should not look like HTTP", no[i]);
        assert_false(net_looks_like_http((const uint8_t *)"GET ", 0));
        assert_false(net_looks_like_http(NULL, 4));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_openssl_hello),   cmocka_unit_test(test_split_records),
                cmocka_unit_test(test_record_header),   cmocka_unit_test(test_hello_size_cap),
                cmocka_unit_test(test_hello_malformed), cmocka_unit_test(test_sni_extension),
                cmocka_unit_test(test_http_head),       cmocka_unit_test(test_http_websocket),
                cmocka_unit_test(test_http_bad),        cmocka_unit_test(test_http_cap),
                cmocka_unit_test(test_looks_like_http),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
