/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"

static int on_url(http_parser *p, const char *at, size_t len)
{
        struct api_http_req *r = p->data;
        size_t have = strlen(r->url);

        if (have + len >= sizeof(r->url))
                return 1;
        memcpy(r->url + have, at, len);
        r->url[have + len] = '\0';
        return 0;
}

static char **header_slot(struct api_http_req *r, const char *name)
{
        if (strcasecmp(name, "authorization") == 0)
                return &r->auth;
        if (strcasecmp(name, "x-deno-sandbox-config") == 0)
                return &r->config;
        if (strcasecmp(name, "sec-websocket-key") == 0)
                return &r->ws_key;
        if (strcasecmp(name, "upgrade") == 0)
                return &r->upgrade;
        if (strcasecmp(name, "host") == 0)
                return &r->host;
        return NULL;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
        struct api_http_req *r = p->data;
        size_t have;

        r->header_bytes += len;
        if (r->header_bytes > API_MAX_HEADER_BYTES) {
                r->too_big = true;
                return 1;
        }
        if (r->field_done) { /* a new field starts */
                r->field[0] = '\0';
                r->field_done = false;
        }
        have = strlen(r->field);
        if (have + len >= sizeof(r->field))
                len = sizeof(r->field) - 1 - have; /* long names are not ours anyway */
        memcpy(r->field + have, at, len);
        r->field[have + len] = '\0';
        return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
        struct api_http_req *r = p->data;
        char **slot;

        r->header_bytes += len;
        if (r->header_bytes > API_MAX_HEADER_BYTES) {
                r->too_big = true;
                return 1;
        }
        r->field_done = true;
        slot = header_slot(r, r->field);
        if (!slot)
                return 0;
        size_t have = *slot ? strlen(*slot) : 0;
        char *n = realloc(*slot, have + len + 1);
        if (!n)
                return 1;
        memcpy(n + have, at, len);
        n[have + len] = '\0';
        *slot = n;
        return 0;
}

static int on_headers_complete(http_parser *p)
{
        struct api_http_req *r = p->data;

        /* Paused, headers_done stays false: the parser still has to take
         * the head's last byte, and an upgrade is then ready through
         * message_done like any complete request. */
        if (r->pause_at_headers) {
                r->head_paused = true;
                http_parser_pause(p, 1);
                return 0;
        }
        r->headers_done = true;
        return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
        struct api_http_req *r = p->data;

        if (r->body_len + len > API_MAX_BODY) {
                r->too_big = true;
                return 1;
        }
        memcpy(r->body + r->body_len, at, len);
        r->body_len += len;
        return 0;
}

static int on_message_complete(http_parser *p)
{
        ((struct api_http_req *)p->data)->message_done = true;
        return 0;
}

static const http_parser_settings settings = {
        .on_url = on_url,
        .on_header_field = on_header_field,
        .on_header_value = on_header_value,
        .on_headers_complete = on_headers_complete,
        .on_body = on_body,
        .on_message_complete = on_message_complete,
};

void api_http_req_init(struct api_http_req *r)
{
        memset(r, 0, sizeof(*r));
        http_parser_init(&r->parser, HTTP_REQUEST);
        r->parser.data = r;
}

void api_http_req_free(struct api_http_req *r)
{
        free(r->auth);
        free(r->config);
        free(r->ws_key);
        free(r->upgrade);
        free(r->host);
        r->auth = r->config = r->ws_key = r->upgrade = r->host = NULL;
}

long api_http_req_feed(struct api_http_req *r, const char *data, size_t len, bool *ready)
{
        size_t used;

        *ready = false;
        if (r->head_paused)
                return 0;
        if (r->message_done || (r->parser.upgrade && r->headers_done)) {
                *ready = true;
                return 0;
        }
        used = http_parser_execute(&r->parser, &settings, data, len);
        if (r->head_paused && HTTP_PARSER_ERRNO(&r->parser) == HPE_PAUSED)
                return (long)used;
        if (r->parser.upgrade && r->headers_done) {
                *ready = true;
                return (long)used;
        }
        if (HTTP_PARSER_ERRNO(&r->parser) != HPE_OK)
                return -1;
        *ready = r->message_done;
        return (long)used;
}

void api_http_req_resume(struct api_http_req *r)
{
        if (!r->head_paused)
                return;
        r->pause_at_headers = r->head_paused = false;
        http_parser_pause(&r->parser, 0);
}

const char *api_http_req_error(const struct api_http_req *r)
{
        if (r->too_big)
                return "request too large";
        return http_errno_description(HTTP_PARSER_ERRNO(&r->parser));
}

bool api_http_req_is_websocket(const struct api_http_req *r)
{
        return r->parser.upgrade && r->upgrade && strcasecmp(r->upgrade, "websocket") == 0 && r->ws_key;
}
