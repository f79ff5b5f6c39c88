/* SPDX-License-Identifier: Apache-2.0 */
/* airlockd's side of the network door: it starts airlock-proxy as its own
 * unprivileged user, hands it each sandbox's door sockets with the sandbox's
 * policy and secrets, restarts it if it dies (re-adding every sandbox), and
 * passes the proxy's connection records to the sandbox's egress log. */
#pragma once

#include <event2/event.h>
#include <jansson.h>

#include "common/error.h"
#include "runtime/runtime.h"

#define EGRESS_PROXY_USER "airlock-proxy"
#define EGRESS_MAX_OPTS 64 /* --net-allow-addr and --net-override, each */

struct egress_config {
        const char *state_dir;
        const char *image;
        const char *allow_addrs[EGRESS_MAX_OPTS];
        unsigned n_allow_addrs;
        const char *overrides[EGRESS_MAX_OPTS];
        unsigned n_overrides;
        const char *upstream_ca;
};

int egress_start(struct event_base *base, const struct egress_config *cfg, struct al_error *err);
void egress_stop(void);
/* Where the sandboxes' trust bundle is kept (rt_config.trust_dir). */
const char *egress_trust_dir(void);
const char *egress_ca_cert_path(void);
/* The operator's --upstream-ca bundle (airlockd's copy), or NULL. */
const char *egress_upstream_ca_path(void);

/* Validate a create request's allow_net (array of strings, or NULL) and
 * secrets (object NAME -> {hosts, value}, or NULL); on success *ret_secrets
 * is the proxy's form with a fresh placeholder for each. */
int egress_config_check(json_t *allow_net, json_t *secrets, json_t **ret_secrets, struct al_error *err);
/* Open the sandbox's door: from now on the proxy serves it. */
int egress_add(const char *id, const struct rt_sandbox *sb, json_t *allow_net, json_t *secrets, struct al_error *err);
void egress_del(const char *id);
