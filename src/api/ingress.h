/* SPDX-License-Identifier: Apache-2.0 */
/* The ingress: HTTP(S) from outside to a port inside a sandbox, the local
 * twin of the hosted product's exposeHttp. A REST call hands out a domain,
 * <label>.<base>, whose label is the sandbox id and 8 random characters; the
 * exposeHttp call binds it to a port. Requests whose Host (or, without one,
 * SNI) names such a domain reach 127.0.0.1:port in the sandbox's network
 * namespace through a socket airlockd opens there; the bytes then flow both
 * ways untouched (WebSocket upgrades included), each direction holding at
 * most AL_INGRESS_HIGH_WATER before the other side stops being read. No token
 * is asked for: the URL is the capability, as in the hosted product.
 *
 * HTTPS uses a leaf for *.<base host> minted from a CA kept in
 * <state>/ingress-ca/ (clients trust its ca.crt); it is served on the API's
 * own listener, which tells TLS from plain HTTP by the first byte.
 *
 * Ownership: the ingress is one of each sandbox's peers (live.h); a sandbox
 * that ends closes it, which forgets the sandbox's domains and closes every
 * connection into it. The ingress must therefore be freed after
 * sbx_kill_all(). */
#pragma once

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define API_INGRESS_LABEL_MAX 63 /* one DNS label */
#define API_INGRESS_HOST_MAX 190 /* the base domain's host: label + '.' + it stays a DNS name */
#define API_INGRESS_DEFAULT_HOST "sandbox.localhost"

struct api_ingress_config {
        const char *state_dir;
        const char *host;      /* base domain's host, lower case; NULL: API_INGRESS_DEFAULT_HOST */
        unsigned port;         /* the port in handed-out domains, 0 for none */
        SSL_CTX *operator_tls; /* --tls-cert/--tls-key, or NULL: names under the base switch away from it */
};

struct api_ingress;
struct sbx;

int api_ingress_new(struct event_base *base, const struct api_ingress_config *cfg, struct api_ingress **ret,
                    struct al_error *err);
void api_ingress_free(struct api_ingress *ing);
/* The CA certificate clients trust (NODE_EXTRA_CA_CERTS), and the base domain
 * as handed out ("sandbox.localhost:8080"). */
const char *api_ingress_ca_path(const struct api_ingress *ing);
const char *api_ingress_base(const struct api_ingress *ing);
/* The context for an accepted TLS connection when no operator certificate is
 * configured (borrowed). */
SSL_CTX *api_ingress_tls(const struct api_ingress *ing);

/* A request head is in (bev's input holds every byte of it, untouched):
 * when host (the Host header, or NULL to use the SNI) names an exposure, the
 * ingress takes bev over, callbacks and all, and returns true. */
bool api_ingress_claim(struct api_ingress *ing, struct bufferevent *bev, const char *host);

/* POST /api/v3/sandbox/{id}/expose/http: a new domain for s, written to ret.
 * -E2BIG past AL_MAX_EXPOSED_DOMAINS, -EBUSY when the sandbox takes no more
 * peers; err says so. */
int api_ingress_domain_new(struct api_ingress *ing, struct sbx *s, char *ret, size_t len, struct al_error *err);
/* The exposeHttp call of a client of s: the JSON-RPC result object,
 * {"ok":null} or {"error":{...}}. */
json_t *api_ingress_expose(struct api_ingress *ing, struct sbx *s, json_t *params);
/* An adopted sandbox's domains, as the airlockd before us bound them. */
void api_ingress_restore(struct api_ingress *ing, struct sbx *s);

/* Pure (ingress_name.c), for the unit tests and the fuzzer too. */

/* A Host header or SNI value (port optional, one trailing dot ignored)
 * against the base domain's host (lower case, no port): 1 with the label,
 * lower-cased, when it names <label>.<base host>; -1 when it is under the
 * base host but cannot be one of ours (several labels, bad characters); 0
 * when it is not under the base host at all (the API's names). */
int api_ingress_label(const char *host, const char *base_host, char label[API_INGRESS_LABEL_MAX + 1]);
/* The label for sandbox id and 8 random bytes: the id lower-cased with '_'
 * as '-', then '-' and 8 of [a-z0-9]. */
void api_ingress_label_make(const char *id, const uint8_t rnd[8], char label[API_INGRESS_LABEL_MAX + 1]);
