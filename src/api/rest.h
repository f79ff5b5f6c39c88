/* SPDX-License-Identifier: Apache-2.0 */
/* The console's REST routes outside the sandbox relay (volumes, snapshots,
 * tokens): plain requests in, a status and a JSON body out. server.c does
 * the HTTP, authentication and errors; these files only decide. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

struct api_rest_req {
        int method;        /* enum http_method (http_parser.h) */
        const char *path;  /* without the query */
        const char *query; /* after '?', or NULL */
        const char *body;  /* not NUL-terminated */
        size_t body_len;
        const struct store_token *token; /* who asks */
        const char *base_url;            /* "http(s)://host[:port]" as the client reached us, for Link */
};

struct api_rest_res {
        int status;      /* 200, 201, 400, 404, 409, ... */
        json_t *body;    /* owned; errors are {"code", "message"} */
        char link[1024]; /* a Link header value, or "" */
};

/* Each returns false when the route is not its own (res untouched). */
bool api_console_route(struct store *st, const struct api_rest_req *req, struct api_rest_res *res);
bool api_tokens_route(struct store *st, const struct api_rest_req *req, struct api_rest_res *res);

/* A query parameter, percent-decoded into buf; NULL when absent or too long. */
const char *api_query_get(const char *query, const char *key, char *buf, size_t len);
/* Fill res with an error body. */
void api_rest_error(struct api_rest_res *res, int status, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
