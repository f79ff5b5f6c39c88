/* SPDX-License-Identifier: Apache-2.0 */
/* airlock-proxy: the far side of every sandbox's network door. It runs as an
 * unprivileged user, receives each sandbox's door sockets from airlockd,
 * answers its DNS with synthetic addresses (so it knows the name behind every
 * connection), decides each connection on the name, the port and every
 * resolved address, dials out from the host, and reports one record per
 * connection back to airlockd. It holds the egress CA key, which nothing
 * else may read. */
#pragma once

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <jansson.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/cert.h"
#include "net/dns.h"
#include "net/policy.h"
#include "net/rewrite.h"

#define PX_MAX_SECRETS 64      /* secrets per sandbox */
#define PX_MAX_SECRET_HOSTS 32 /* hosts per secret */
#define PX_MAX_NAMES 4096      /* synthetic addresses per sandbox, recycled oldest first */
#define PX_NAME_BUCKETS 8192
#define PX_SYNTH_NET 0xC6120000u      /* 198.18.0.0/15: never a real destination */
#define PX_MAX_CONNS 1024             /* open connections per sandbox */
#define PX_HIGH_WATER (1024u * 1024u) /* bytes queued toward one side before reading stops */
#define PX_IO_CHUNK (1024u * 1024u)   /* one read or write of a spliced connection */
#define PX_SPLICE_ROUNDS 16           /* pipe fills per wake-up, so that one stream cannot starve the rest */
#define PX_ACCEPT_PAUSE_MS 100
#define PX_PEEK_MAX (16u * 1024u) /* first bytes inspected for SNI / Host */
#define PX_CONNECT_TIMEOUT_S 10
#define PX_REFUSE_WAIT_MS 150 /* how long a refusal waits to see if the client speaks HTTP */

struct px_config {
        struct net_cidr_list allowed; /* special addresses the operator allows */
        struct net_override_list overrides;
        const char *ca_dir;
        const char *upstream_ca; /* extra bundle for verifying upstreams */
};

struct px_names {
        char (*name)[NET_NAME_MAX + 1];
        int32_t *chain;
        int32_t head[PX_NAME_BUCKETS];
        uint32_t count, next;
};

struct px_conn;

struct px_sandbox {
        char id[64];
        struct px_sandbox *next;
        struct net_policy policy;
        struct net_secret *secrets;      /* placeholder and value */
        struct net_policy *secret_hosts; /* where each may be sent */
        size_t n_secrets;
        int listen_fd, dns_fd;
        struct event *accept_ev, *dns_ev;
        struct event *accept_pause; /* re-arms accept_ev after EMFILE */
        struct px_names names;
        struct px_conn *conns;
        unsigned n_conns;
};

struct px {
        struct event_base *base;
        struct evdns_base *dns;
        struct px_config cfg;
        int ctl_fd;
        struct event *ctl_ev;
        struct px_sandbox *sandboxes;
        struct net_ca ca;
        struct net_minter *minter;
        SSL_CTX *client_ctx;
};

/* names.c: the synthetic address book of one sandbox */
int px_names_init(struct px_names *n);
void px_names_free(struct px_names *n);
uint32_t px_names_addr(struct px_names *n, const char *name); /* host order */
const char *px_names_lookup(const struct px_names *n, uint32_t addr);

/* dnsd.c */
void px_dns_on_query(evutil_socket_t fd, short what, void *arg);

/* conn.c */
void px_conn_on_accept(evutil_socket_t fd, short what, void *arg);
void px_conn_close_all(struct px_sandbox *sb);

/* main.c */
extern struct px px;
void px_log_record(const struct px_sandbox *sb, json_t *rec); /* steals rec */
/* The secrets bound to name (a new array, shallow copies), or none. */
int px_secrets_for(const struct px_sandbox *sb, const char *name, struct net_secret **ret, size_t *ret_n);
