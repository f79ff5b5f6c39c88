/* SPDX-License-Identifier: Apache-2.0 */
/* /api/airlock/v1/tokens: list, create and revoke named tokens. Only an
 * admin token may; a new secret is in the answer to its creation and
 * nowhere else (the store keeps a hash). */
#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rest.h"

#define TOKENS_PATH "/api/airlock/v1/tokens"

/* createdAt as the list shows it: ISO 8601 with milliseconds, UTC */
static void iso8601(int64_t ms, char buf[32])
{
        time_t s = (time_t)(ms / 1000);
        struct tm tm;

        gmtime_r(&s, &tm);
        size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

static void created_reply(struct api_rest_res *res, const struct store_token *t, const char *secret)
{
        char when[32];

        iso8601(t->created_ms, when);
        res->status = 201;
        res->body = json_pack("{s:s,s:s,s:b,s:s,s:s}", "id", t->id, "name", t->name, "admin", t->admin, "createdAt",
                              when, "token", secret);
}

static void tokens_create(struct store *st, const struct api_rest_req *req, struct api_rest_res *res)
{
        char secret[STORE_TOKEN_MAX + 1];
        struct store_token t;
        struct al_error err = { 0 };
        json_error_t jerr;
        json_t *body = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        json_t *name = json_object_get(body, "name"), *admin = json_object_get(body, "admin");

        if (!json_is_object(body) || !json_is_string(name) || (admin && !json_is_boolean(admin))) {
                json_decref(body);
                api_rest_error(res, 400, "INVALID_BODY", "expected {\"name\": \"...\", \"admin\": false}");
                return;
        }
        int r = store_token_create(st, json_string_value(name), json_is_true(admin), secret, &t, &err);
        json_decref(body);
        if (r == -EEXIST)
                api_rest_error(res, 409, "TOKEN_EXISTS", "%s", err.msg);
        else if (r == -EINVAL)
                api_rest_error(res, 400, "INVALID_NAME", "%s", err.msg);
        else if (r < 0)
                api_rest_error(res, 500, "INTERNAL", "the token could not be stored");
        else
                created_reply(res, &t, secret);
        explicit_bzero(secret, sizeof(secret));
}

static void tokens_revoke(struct store *st, const char *name_or_id, struct api_rest_res *res)
{
        struct al_error err = { 0 };
        int r = store_token_revoke(st, name_or_id, &err);

        if (r == -ENOENT)
                api_rest_error(res, 404, "NOT_FOUND", "%s", err.msg);
        else if (r == -EPERM)
                api_rest_error(res, 409, "LAST_ADMIN", "%s", err.msg);
        else if (r < 0)
                api_rest_error(res, 500, "INTERNAL", "the token could not be revoked");
        else {
                res->status = 200;
                res->body = json_object();
        }
}

bool api_tokens_route(struct store *st, const struct api_rest_req *req, struct api_rest_res *res)
{
        const char *rest;

        if (strncmp(req->path, TOKENS_PATH, strlen(TOKENS_PATH)) != 0)
                return false;
        rest = req->path + strlen(TOKENS_PATH);
        if (*rest && (*rest != '/' || !rest[1] || strchr(rest + 1, '/')))
                return false;
        if (!req->token || !req->token->admin) {
                api_rest_error(res, 403, "FORBIDDEN", "only an admin token may manage tokens");
                return true;
        }
        if (!*rest && req->method == HTTP_GET) {
                res->status = 200;
                res->body = store_token_list(st);
        } else if (!*rest && req->method == HTTP_POST) {
                tokens_create(st, req, res);
        } else if (*rest && req->method == HTTP_DELETE) {
                if (strlen(rest + 1) > STORE_NAME_MAX)
                        api_rest_error(res, 404, "NOT_FOUND", "no such token");
                else
                        tokens_revoke(st, rest + 1, res);
        } else {
                api_rest_error(res, 405, "METHOD_NOT_ALLOWED", "%s takes GET and POST, %s/NAME takes DELETE",
                               TOKENS_PATH, TOKENS_PATH);
        }
        return true;
}
