/* SPDX-License-Identifier: Apache-2.0 */
/* Egress policy for the sandbox proxy: host names, the sandbox's allowNet
 * list, address classes, the operator's allow-list of special addresses and
 * static name overrides. Pure: strings and socket addresses in, decisions
 * out; nothing here logs, resolves or touches the network. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/error.h"

#define NET_NAME_MAX 253                          /* a host name in text form, without the trailing dot */
#define NET_LABEL_MAX 63                          /* one label of it */
#define NET_POLICY_MAX_RULES 256                  /* allowNet entries per policy */
#define NET_POLICY_MAX_ENTRY (NET_NAME_MAX + 8)   /* "*." + name + ":65535" */
#define NET_CIDR_MAX 64                           /* operator's allowed special addresses */
#define NET_OVERRIDE_MAX 64                       /* operator's static name overrides */
#define NET_OVERRIDE_MAX_SPEC (NET_NAME_MAX + 64) /* "name:port=[v6]:port" */

/* Lower-case in, drop one trailing dot, and check the result is a host name:
 * labels of 1..63 letters, digits, '-' or '_', 253 characters in all.
 * Returns the length written (with its NUL, it fits cap), -EINVAL for
 * something that is not a host name, -ENOSPC when cap is too small. */
int net_name_normalize(const char *in, char *out, size_t cap);

/* ---- allowNet ---- */

enum net_rule_kind {
        NET_RULE_NAME,     /* example.com: that name only */
        NET_RULE_WILDCARD, /* *.example.com: names below it at any depth, not the apex */
        NET_RULE_ADDR4,    /* 203.0.113.110 (and ::ffff:203.0.113.110) */
        NET_RULE_ADDR6,    /* [2001:db8::1] */
};

struct net_policy_rule {
        enum net_rule_kind kind;
        uint16_t port;               /* 0: any port */
        uint8_t addr[16];            /* ADDR4: the first 4 bytes */
        char name[NET_NAME_MAX + 1]; /* NAME and WILDCARD: normalized, without "*." */
};

/* A zeroed policy allows nothing (an empty allowNet list). */
struct net_policy {
        bool any; /* allowNet absent: every destination (special addresses are the caller's) */
        struct net_policy_rule *rules;
        size_t n_rules, cap_rules;
};

void net_policy_init_any(struct net_policy *p);
void net_policy_init_none(struct net_policy *p);
/* Add one allowNet entry: "host", "*.host", "1.2.3.4" or "[v6]", each with an
 * optional ":port"; a bare IPv6 address without brackets takes no port.
 * Adding to an "any" policy turns it into a list. On failure err names the
 * entry and what is wrong with it, and p is unchanged. */
int net_policy_add(struct net_policy *p, const char *entry, struct al_error *err);
void net_policy_free(struct net_policy *p);
/* Whether name (any case, trailing dot allowed; an IPv4 literal is matched
 * against address entries) may be reached on port. Port 0 asks about the
 * name only: a rule's port is then not checked. */
bool net_policy_allows_name(const struct net_policy *p, const char *name, uint16_t port);
/* Whether the address and port in sa are listed. IPv4-mapped IPv6 counts as IPv4. */
bool net_policy_allows_addr(const struct net_policy *p, const struct sockaddr *sa);

/* ---- address classes ---- */

enum net_addr_class {
        NET_ADDR_PUBLIC,
        NET_ADDR_UNSPECIFIED, /* 0.0.0.0/8, :: */
        NET_ADDR_LOOPBACK,    /* 127/8, ::1 */
        NET_ADDR_PRIVATE,     /* RFC 1918, fc00::/7, fec0::/10, 64:ff9b:1::/48 */
        NET_ADDR_LINK_LOCAL,  /* 169.254/16, fe80::/10 */
        NET_ADDR_METADATA,    /* cloud instance metadata services */
        NET_ADDR_MULTICAST,   /* 224/4, ff00::/8 */
        NET_ADDR_CGNAT,       /* 100.64/10 */
        NET_ADDR_BENCHMARK,   /* 198.18/15 (also the proxy's synthetic addresses) */
        NET_ADDR_RESERVED,    /* 240/4 and broadcast, 192.0.0/24, 100::/64, IPv4-compatible */
        NET_ADDR_UNKNOWN,     /* not AF_INET or AF_INET6 */
};

/* What kind of destination sa is. IPv4-mapped, IPv4-compatible, 6to4, NAT64
 * (64:ff9b::/96) and Teredo addresses are judged by the IPv4 address inside
 * when that one is special. */
enum net_addr_class net_addr_classify(const struct sockaddr *sa);
/* "loopback", "private", ...: an adjective for log lines and refusals. */
const char *net_addr_class_name(enum net_addr_class c);

/* ---- the operator's allow-list of special addresses ---- */

struct net_cidr {
        int family; /* AF_INET or AF_INET6 */
        uint8_t addr[16];
        uint8_t prefix;
};

/* A zeroed list is empty. */
struct net_cidr_list {
        struct net_cidr items[NET_CIDR_MAX];
        size_t n;
};

/* "127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8" (host bits must be zero). */
int net_cidr_list_add(struct net_cidr_list *l, const char *spec, struct al_error *err);
/* Whether sa's address is in the list; IPv4-mapped IPv6 counts as IPv4. */
bool net_cidr_list_contains(const struct net_cidr_list *l, const struct sockaddr *sa);

/* ---- static name overrides ---- */

struct net_override {
        char name[NET_NAME_MAX + 1];  /* normalized host name, or an IPv4 literal */
        uint16_t match_port;          /* 0: any port */
        struct sockaddr_storage addr; /* AF_INET or AF_INET6, port = .port */
        uint16_t port;                /* 0: the port dialled */
};

/* A zeroed list is empty. */
struct net_override_list {
        struct net_override items[NET_OVERRIDE_MAX];
        size_t n;
};

/* "name[:port]=addr[:port]": name a host name or an IPv4 address (for
 * connections made to that address directly), addr an IPv4 address or
 * "[IPv6]" (a bare IPv6 address takes no port). */
int net_override_parse(const char *spec, struct net_override *ret, struct al_error *err);
int net_override_list_add(struct net_override_list *l, const char *spec, struct al_error *err);
/* The override for name and port: one for that port if any, else one for
 * any port, else NULL. name is normalized first. */
const struct net_override *net_override_find(const struct net_override_list *l, const char *name, uint16_t port);
