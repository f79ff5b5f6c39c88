/* SPDX-License-Identifier: Apache-2.0 */
/* A small blocking client of airlockd: plain HTTP for the REST routes and a
 * WebSocket (wslay) speaking the same JSON-RPC the SDK speaks. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <wslay/wslay.h>

struct cli_conf {
        char host[256];
        int port;
        char endpoint[300];
        char token[256];
};

/* Endpoint and token from the environment (DENO_SANDBOX_ENDPOINT,
 * DENO_DEPLOY_TOKEN), else 127.0.0.1:8080 and <state-dir>/token. */
int cli_conf_load(struct cli_conf *c, const char *state_dir);

/* One REST call. Returns the HTTP status (or -errno); *ret_body is the
 * parsed JSON body, if any. */
int cli_http(const struct cli_conf *c, const char *method, const char *path, const char *body, json_t **ret_body);

typedef void (*cli_note_fn)(void *user, const char *method, json_t *params);

struct cli_ws {
        int fd;
        wslay_event_context_ptr ctx;
        char sandbox_id[64];
        int64_t next_id;
        json_t *response; /* the response being waited for */
        int64_t want_id;
        cli_note_fn on_note;
        void *user;
        bool closed;
        int close_code;
};

/* Open a WebSocket to path; config_b64 is the x-deno-sandbox-config header or NULL. */
int cli_ws_open(struct cli_ws *ws, const struct cli_conf *c, const char *path, const char *config_b64);
void cli_ws_close(struct cli_ws *ws);
int cli_ws_send(struct cli_ws *ws, json_t *msg); /* steals msg */
/* Send a request and pump until its response; returns the "result" (owned) or NULL. */
json_t *cli_ws_call(struct cli_ws *ws, const char *method, json_t *params);
/* Send a request; the response arrives through cli_ws_pump. Returns its id. */
int64_t cli_ws_request(struct cli_ws *ws, const char *method, json_t *params);
/* One round of I/O: waits up to timeout_ms for the socket (and extra_fd, when >= 0).
 * Returns a bitmask: 1 socket activity, 2 extra_fd readable; <0 on error. */
int cli_ws_pump(struct cli_ws *ws, int extra_fd, int timeout_ms);
