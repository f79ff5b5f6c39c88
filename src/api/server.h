/* SPDX-License-Identifier: Apache-2.0 */
/* The API server: HTTP/1.1 and WebSocket on one event loop, bearer-token
 * authentication, the Deno Sandbox v3 routes, JSON-RPC framing. */
#pragma once

#include <event2/event.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"

struct api_config {
        const char *listen;    /* "ADDR:PORT" */
        const char *state_dir;
        const char *token;     /* the bearer token clients must present */
        const char *tls_cert;  /* PEM chain and key: serve HTTPS/WSS when both are set */
        const char *tls_key;
        const char *image;
        enum rt_profile profile;
        int init_fd;           /* sealed airlock-init */
        unsigned max_sandboxes; /* live sandboxes at once (one token for now) */
};

struct api_server;

int api_server_start(struct event_base *base, const struct api_config *cfg, struct api_server **ret,
                     struct al_error *err);
void api_server_stop(struct api_server *srv);
