/* SPDX-License-Identifier: Apache-2.0 */
/* The API server: HTTP/1.1 and WebSocket on one event loop, bearer-token
 * authentication, the Deno Sandbox v3 routes, JSON-RPC framing. */
#pragma once

#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"
#include "store/store.h"

struct api_config {
        const char *listen; /* "ADDR:PORT" */
        const char *state_dir;
        struct store *store;  /* tokens, sandboxes, volumes: who may do what */
        const char *tls_cert; /* PEM chain and key: serve HTTPS/WSS when both are set */
        const char *tls_key;
        const char *image;
        enum rt_profile profile;
        int init_fd;             /* sealed airlock-init */
        unsigned max_sandboxes;  /* live sandboxes at once (one token for now) */
        const char *expose_host; /* --expose-domain's host, or NULL: sandbox.localhost */
        unsigned expose_port;    /* its port (0: none); with no host, the listener's */
        bool stop_on_exit;       /* --stop-sandboxes-on-exit: SIGTERM ends the sandboxes too */
        unsigned adopt_grace_ms; /* --adopt-grace: how long an adopted session sandbox waits for its creator */
};

struct api_server;

int api_server_start(struct event_base *base, const struct api_config *cfg, struct api_server **ret,
                     struct al_error *err);
void api_server_stop(struct api_server *srv);
/* At start: take back every sandbox the store lists as running (their
 * network doors, policies and secrets too), record those that ended while no
 * airlockd watched, and remove what they left behind. */
int api_server_adopt(struct api_server *srv, struct al_error *err);
/* The ingress's CA certificate (for NODE_EXTRA_CA_CERTS) and base domain. */
const char *api_server_ingress_ca(const struct api_server *srv);
const char *api_server_ingress_base(const struct api_server *srv);
