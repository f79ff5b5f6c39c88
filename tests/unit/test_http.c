/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/http.h"

static const char upgrade[] = "GET /api/v3/sandboxes/create HTTP/1.1\r\n"
                              "Host: x\r\nAuthorization: Bearer ddo_t\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\nx-deno-sandbox-config: e30=\r\n\r\n";

static void test_upgrade_whole_and_split(void **state)
{
        for (size_t step = 1; step <= sizeof(upgrade); step += 7) {
                struct api_http_req r;
                bool ready = false;
                size_t off = 0;

                api_http_req_init(&r);
                while (off < sizeof(upgrade) - 1 && !ready) {
                        size_t n = sizeof(upgrade) - 1 - off < step ? sizeof(upgrade) - 1 - off : step;
                        long used = api_http_req_feed(&r, upgrade + off, n, &ready);
                        assert_true(used >= 0);
                        off += (size_t)used;
                        if ((size_t)used < n)
                                break;
                }
                assert_true(ready);
                assert_true(api_http_req_is_websocket(&r));
                assert_string_equal(r.url, "/api/v3/sandboxes/create");
                assert_string_equal(r.auth, "Bearer ddo_t");
                assert_string_equal(r.config, "e30=");
                assert_string_equal(r.ws_key, "dGhlIHNhbXBsZSBub25jZQ==");
                api_http_req_free(&r);
        }
}

static void test_body(void **state)
{
        static const char req[] = "PATCH /api/v3/sandbox/x HTTP/1.1\r\nContent-Length: 21\r\n\r\n{\"stop_at_ms\":123456}";
        struct api_http_req r;
        bool ready;

        api_http_req_init(&r);
        assert_int_equal(api_http_req_feed(&r, req, sizeof(req) - 1, &ready), sizeof(req) - 1);
        assert_true(ready);
        assert_false(api_http_req_is_websocket(&r));
        assert_int_equal(r.parser.method, HTTP_PATCH);
        assert_int_equal(r.body_len, 21);
        assert_memory_equal(r.body, "{\"stop_at_ms\":123456}", 21);
        api_http_req_free(&r);
}

static void test_garbage_and_caps(void **state)
{
        struct api_http_req r;
        bool ready;

        api_http_req_init(&r);
        assert_int_equal(api_http_req_feed(&r, "GARBAGE\r\n\r\n", 11, &ready), -1);
        assert_false(ready);
        api_http_req_free(&r);

        /* headers past the cap */
        size_t big = API_MAX_HEADER_BYTES + 100;
        char *req = malloc(big + 64);
        int n = sprintf(req, "GET / HTTP/1.1\r\nX-Big: ");
        memset(req + n, 'a', big);
        memcpy(req + n + big, "\r\n\r\n", 4);
        api_http_req_init(&r);
        assert_int_equal(api_http_req_feed(&r, req, (size_t)n + big + 4, &ready), -1);
        assert_true(r.too_big);
        assert_string_equal(api_http_req_error(&r), "request too large");
        api_http_req_free(&r);
        free(req);

        /* a body past the cap */
        char head[128];
        n = snprintf(head, sizeof(head), "POST / HTTP/1.1\r\nContent-Length: %u\r\n\r\n", API_MAX_BODY + 1);
        char *body = calloc(1, API_MAX_BODY + 1);
        api_http_req_init(&r);
        assert_int_equal(api_http_req_feed(&r, head, (size_t)n, &ready), n);
        assert_int_equal(api_http_req_feed(&r, body, API_MAX_BODY + 1, &ready), -1);
        assert_true(r.too_big);
        api_http_req_free(&r);
        free(body);

        /* a URL past the cap */
        char *url = malloc(API_MAX_URL + 64);
        n = sprintf(url, "GET /");
        memset(url + n, 'u', API_MAX_URL);
        memcpy(url + n + API_MAX_URL, " HTTP/1.1\r\n\r\n", 13);
        api_http_req_init(&r);
        assert_int_equal(api_http_req_feed(&r, url, (size_t)n + API_MAX_URL + 13, &ready), -1);
        api_http_req_free(&r);
        free(url);
}

static void test_repeated_header_joins(void **state)
{
        static const char req[] = "GET / HTTP/1.1\r\nAuthorization: Bearer a\r\nAuthorization: b\r\n\r\n";
        struct api_http_req r;
        bool ready;

        api_http_req_init(&r);
        assert_true(api_http_req_feed(&r, req, sizeof(req) - 1, &ready) > 0);
        /* joined, so a second header can never pass for a valid token */
        assert_string_equal(r.auth, "Bearer ab");
        api_http_req_free(&r);
}

/* Paused at the headers (the ingress looks at Host before any body): the
 * bytes before the pause plus the bytes after it are the whole request, for
 * a plain request with a body larger than the API's cap and for an upgrade. */
static void test_pause_at_headers(void **state)
{
        char big[API_MAX_BODY * 2 + 128];
        int n = snprintf(big, sizeof(big), "POST /x HTTP/1.1\r\nHost: a.sandbox.localhost:1\r\nContent-Length: %u\r\n\r\n",
                         API_MAX_BODY * 2);
        memset(big + n, 'b', API_MAX_BODY * 2);
        const char *reqs[] = { upgrade, big };
        size_t lens[] = { sizeof(upgrade) - 1, (size_t)n + API_MAX_BODY * 2 };

        for (int i = 0; i < 2; i++) {
                struct api_http_req r;
                bool ready = true;
                long used;

                api_http_req_init(&r);
                r.pause_at_headers = true;
                used = api_http_req_feed(&r, reqs[i], lens[i], &ready);
                assert_true(used > 0 && (size_t)used < lens[i]);
                assert_true(r.head_paused);
                assert_false(ready);
                assert_memory_equal(reqs[i] + used - 3, "\r\n\r", 3); /* stopped at the last LF */
                assert_string_equal(r.host, i ? "a.sandbox.localhost:1" : "x");
                assert_int_equal(api_http_req_feed(&r, reqs[i] + used, lens[i] - (size_t)used, &ready), 0);
                api_http_req_resume(&r);
                if (i == 0) {
                        assert_int_equal(api_http_req_feed(&r, reqs[i] + used, lens[i] - (size_t)used, &ready), 1);
                        assert_true(ready);
                        assert_true(api_http_req_is_websocket(&r));
                } else {
                        /* the API's own cap still applies once it goes on */
                        assert_int_equal(api_http_req_feed(&r, reqs[i] + used, lens[i] - (size_t)used, &ready), -1);
                        assert_true(r.too_big);
                }
                api_http_req_free(&r);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_upgrade_whole_and_split),
                cmocka_unit_test(test_body),
                cmocka_unit_test(test_garbage_and_caps),
                cmocka_unit_test(test_repeated_header_joins),
                cmocka_unit_test(test_pause_at_headers),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
