/* SPDX-License-Identifier: Apache-2.0 */
/* HTTP/1.1 request parsing (http-parser underneath) with hard caps. Pure:
 * bytes in, a request out; the fuzzer and the unit tests drive it alone. */
#pragma once

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

#define API_MAX_HEADER_BYTES (64u * 1024u)
#define API_MAX_BODY (64u * 1024u)
#define API_MAX_URL 2048

struct api_http_req {
        http_parser parser;
        size_t header_bytes;
        char url[API_MAX_URL];
        char field[64];
        bool field_done;
        char *auth, *config, *ws_key, *upgrade, *host; /* the headers we use; NULL when absent */
        char body[API_MAX_BODY + 1];
        size_t body_len;
        bool headers_done, message_done, too_big;
        /* Set by the caller before feeding: stop once the headers are in
         * (head_paused), so that the caller can look at them before any body
         * is parsed; api_http_req_resume() goes on from where it stopped. */
        bool pause_at_headers, head_paused;
};

void api_http_req_init(struct api_http_req *r);
void api_http_req_free(struct api_http_req *r);
/* Feed bytes. Returns the bytes consumed, or -1 on a malformed or oversized
 * request (then api_http_req_error() says why). *ready is set once the
 * request can be routed: a complete message, or the headers of an upgrade
 * (the bytes after them belong to the new protocol). */
long api_http_req_feed(struct api_http_req *r, const char *data, size_t len, bool *ready);
/* After a pause at the headers: parse on. The byte the pause stopped at was
 * not consumed; feed again from it. */
void api_http_req_resume(struct api_http_req *r);
const char *api_http_req_error(const struct api_http_req *r);
bool api_http_req_is_websocket(const struct api_http_req *r);
