/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define SHOW_MAX 80 /* how much of a bad entry an error message quotes */

/* A user's string made safe to quote in an error: printable ASCII, bounded. */
static const char *show(const char *s, char *buf, size_t cap)
{
        size_t i = 0;

        for (; s && s[i] && i < SHOW_MAX && i + 4 < cap; i++)
                buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        if (s && s[i] && i + 4 <= cap) {
                memcpy(buf + i, "...", 3);
                i += 3;
        }
        buf[i] = '\0';
        return buf;
}

/* ---- host names ---- */

static bool name_char_ok(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* net_name_normalize, saying why a name is refused. */
static int name_check(const char *in, char *out, size_t cap, const char **why)
{
        size_t len = strnlen(in, NET_NAME_MAX + 2), label = 0;

        if (len && in[len - 1] == '.')
                len--;
        if (len == 0)
                return *why = "empty host name", -EINVAL;
        if (len > NET_NAME_MAX)
                return *why = "host name longer than 253 characters", -EINVAL;
        if (len >= cap)
                return *why = "host name too long", -ENOSPC;
        for (size_t i = 0; i < len; i++) {
                char c = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] - 'A' + 'a') : in[i];
                if (c == '.') {
                        if (label == 0)
                                return *why = "empty label in host name", -EINVAL;
                        label = 0;
                } else if (!name_char_ok(c)) {
                        return *why = "host names are letters, digits, '-', '_' and dots", -EINVAL;
                } else if (++label > NET_LABEL_MAX) {
                        return *why = "label longer than 63 characters", -EINVAL;
                }
                out[i] = c;
        }
        if (label == 0)
                return *why = "empty label in host name", -EINVAL;
        out[len] = '\0';
        return (int)len;
}

int net_name_normalize(const char *in, char *out, size_t cap)
{
        const char *why;

        if (!in || !out)
                return -EINVAL;
        return name_check(in, out, cap, &why);
}

/* A name whose last label is all digits would be an IPv4 address: no top
 * level domain is numeric, so "10.1.2" or "1.2.3.999" is a typo, not a name. */
static bool looks_numeric(const char *name)
{
        const char *last = strrchr(name, '.');

        last = last ? last + 1 : name;
        if (!*last)
                return false;
        for (; *last; last++)
                if (*last < '0' || *last > '9')
                        return false;
        return true;
}

/* ---- "host:port" ---- */

static const char *parse_port(const char *s, size_t len, uint16_t *ret)
{
        unsigned v = 0;

        if (len == 0)
                return "empty port";
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return "port must be a number";
                if (i < 6)
                        v = v * 10 + (unsigned)(s[i] - '0');
        }
        if (v == 0 || len > 5 || v > 65535)
                return "port must be 1 to 65535";
        *ret = (uint16_t)v;
        return NULL;
}

struct hostport {
        char host[NET_NAME_MAX + 3]; /* room for "*." */
        uint16_t port;               /* 0: none given */
        bool bracketed;              /* "[...]" */
};

/* Split "host", "host:port", "[v6]", "[v6]:port" or a bare IPv6 address
 * (two colons or more: no port). Returns NULL or why s is refused. */
static const char *split_hostport(const char *s, size_t len, struct hostport *ret)
{
        const char *host = s, *port = NULL, *colon = memchr(s, ':', len);
        size_t host_len = len;

        memset(ret, 0, sizeof(*ret));
        if (len && s[0] == '[') {
                const char *rb = memchr(s, ']', len);
                if (!rb)
                        return "missing ']' after an IPv6 address";
                host = s + 1;
                host_len = (size_t)(rb - host);
                ret->bracketed = true;
                if (rb + 1 < s + len && rb[1] != ':')
                        return "unexpected text after ']'";
                port = rb + 1 < s + len ? rb + 2 : NULL;
        } else if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1)) {
                host_len = (size_t)(colon - s);
                port = colon + 1;
        }
        if (host_len == 0)
                return "empty host";
        if (host_len >= sizeof(ret->host))
                return "host longer than 253 characters";
        memcpy(ret->host, host, host_len);
        ret->host[host_len] = '\0';
        return port ? parse_port(port, len - (size_t)(port - s), &ret->port) : NULL;
}

/* An IP literal: IPv4 dotted quad, or IPv6 (IPv4-mapped becomes IPv4).
 * Returns AF_INET, AF_INET6 or 0. */
static int parse_ip(const char *s, bool v6_only, uint8_t addr[16])
{
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

        memset(addr, 0, 16);
        if (!v6_only && inet_pton(AF_INET, s, addr) == 1)
                return AF_INET;
        if (inet_pton(AF_INET6, s, addr) != 1)
                return 0;
        if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
                memmove(addr, addr + 12, 4);
                memset(addr + 4, 0, 12);
                return AF_INET;
        }
        return AF_INET6;
}

/* ---- allowNet ---- */

static const char *rule_parse(const char *entry, struct net_policy_rule *r)
{
        struct hostport hp;
        const char *why = split_hostport(entry, strlen(entry), &hp);
        bool ipv6 = hp.bracketed || strchr(hp.host, ':');
        int family;

        if (why)
                return why;
        memset(r, 0, sizeof(*r));
        r->port = hp.port;
        family = parse_ip(hp.host, ipv6, r->addr);
        if (family) {
                r->kind = family == AF_INET ? NET_RULE_ADDR4 : NET_RULE_ADDR6;
                return NULL;
        }
        if (ipv6)
                return "bad IPv6 address";
        r->kind = NET_RULE_NAME;
        const char *name = hp.host;
        if (name[0] == '*') {
                if (name[1] != '.')
                        return "a wildcard is '*.' followed by a domain";
                r->kind = NET_RULE_WILDCARD;
                name += 2;
        }
        if (name_check(name, r->name, sizeof(r->name), &why) < 0)
                return why;
        if (looks_numeric(r->name))
                return r->kind == NET_RULE_WILDCARD ? "a wildcard cannot cover an IP address" : "bad IPv4 address";
        return NULL;
}

void net_policy_init_any(struct net_policy *p)
{
        memset(p, 0, sizeof(*p));
        p->any = true;
}

void net_policy_init_none(struct net_policy *p)
{
        memset(p, 0, sizeof(*p));
}

int net_policy_add(struct net_policy *p, const char *entry, struct al_error *err)
{
        struct net_policy_rule r;
        char shown[SHOW_MAX + 4];
        const char *why;

        if (!entry || !*entry)
                return al_error_setx(err, EINVAL, "empty host entry");
        if (strnlen(entry, NET_POLICY_MAX_ENTRY + 1) > NET_POLICY_MAX_ENTRY)
                return al_error_setx(err, EINVAL, "bad entry '%s': longer than %d characters",
                                     show(entry, shown, sizeof(shown)), NET_POLICY_MAX_ENTRY);
        why = rule_parse(entry, &r);
        if (why)
                return al_error_setx(err, EINVAL, "bad entry '%s': %s", show(entry, shown, sizeof(shown)), why);
        if (p->n_rules >= NET_POLICY_MAX_RULES)
                return al_error_setx(err, E2BIG, "more than %d host entries", NET_POLICY_MAX_RULES);
        if (p->n_rules == p->cap_rules) {
                size_t cap = p->cap_rules ? p->cap_rules * 2 : 8;
                struct net_policy_rule *v = realloc(p->rules, cap * sizeof(*v));
                if (!v)
                        return al_error_setx(err, ENOMEM, "out of memory");
                p->rules = v;
                p->cap_rules = cap;
        }
        p->rules[p->n_rules++] = r;
        p->any = false;
        return 0;
}

void net_policy_free(struct net_policy *p)
{
        free(p->rules);
        memset(p, 0, sizeof(*p));
}

static bool port_ok(uint16_t rule, uint16_t port)
{
        return rule == 0 || port == 0 || rule == port;
}

static bool name_matches(const struct net_policy_rule *r, const char *name, size_t len)
{
        size_t slen = strlen(r->name);

        if (r->kind == NET_RULE_NAME)
                return strcmp(r->name, name) == 0;
        return len > slen + 1 && name[len - slen - 1] == '.' && memcmp(name + len - slen, r->name, slen) == 0;
}

static bool addr_rules_allow(const struct net_policy *p, int family, const uint8_t addr[16], uint16_t port)
{
        enum net_rule_kind kind = family == AF_INET ? NET_RULE_ADDR4 : NET_RULE_ADDR6;

        for (size_t i = 0; i < p->n_rules; i++) {
                const struct net_policy_rule *r = &p->rules[i];
                if (r->kind == kind && port_ok(r->port, port) && memcmp(r->addr, addr, family == AF_INET ? 4 : 16) == 0)
                        return true;
        }
        return false;
}

bool net_policy_allows_name(const struct net_policy *p, const char *name, uint16_t port)
{
        char n[NET_NAME_MAX + 1];
        uint8_t addr[16];
        int len;

        if (p->any)
                return true;
        if (!name)
                return false;
        len = net_name_normalize(name, n, sizeof(n));
        if (len < 0)
                return false;
        if (inet_pton(AF_INET, n, addr) == 1)
                return addr_rules_allow(p, AF_INET, addr, port);
        for (size_t i = 0; i < p->n_rules; i++) {
                const struct net_policy_rule *r = &p->rules[i];
                if ((r->kind == NET_RULE_NAME || r->kind == NET_RULE_WILDCARD) && port_ok(r->port, port) &&
                    name_matches(r, n, (size_t)len))
                        return true;
        }
        return false;
}

/* The address and port of sa, IPv4-mapped IPv6 as IPv4. Returns the family or 0. */
static int sa_split(const struct sockaddr *sa, uint8_t addr[16], uint16_t *port)
{
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        struct sockaddr_in in;
        struct sockaddr_in6 in6;

        memset(addr, 0, 16);
        if (!sa)
                return 0;
        if (sa->sa_family == AF_INET) {
                memcpy(&in, sa, sizeof(in));
                memcpy(addr, &in.sin_addr, 4);
                *port = ntohs(in.sin_port);
                return AF_INET;
        }
        if (sa->sa_family != AF_INET6)
                return 0;
        memcpy(&in6, sa, sizeof(in6));
        *port = ntohs(in6.sin6_port);
        if (memcmp(&in6.sin6_addr, mapped, sizeof(mapped)) == 0) {
                memcpy(addr, (const uint8_t *)&in6.sin6_addr + 12, 4);
                return AF_INET;
        }
        memcpy(addr, &in6.sin6_addr, 16);
        return AF_INET6;
}

bool net_policy_allows_addr(const struct net_policy *p, const struct sockaddr *sa)
{
        uint8_t addr[16];
        uint16_t port = 0;
        int family;

        if (p->any)
                return true;
        family = sa_split(sa, addr, &port);
        if (!family || port == 0)
                return false;
        return addr_rules_allow(p, family, addr, port);
}

/* ---- address classes ---- */

static bool in4(uint32_t a, uint32_t net, unsigned prefix)
{
        return (a & (prefix ? ~0u << (32 - prefix) : 0)) == net;
}

static uint32_t be32(const uint8_t *b)
{
        return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static enum net_addr_class classify4(uint32_t a)
{
        if (in4(a, 0x00000000u, 8))
                return NET_ADDR_UNSPECIFIED;
        if (in4(a, 0x7f000000u, 8))
                return NET_ADDR_LOOPBACK;
        if (in4(a, 0x0a000000u, 8) || in4(a, 0xac100000u, 12) || in4(a, 0xc0a80000u, 16))
                return NET_ADDR_PRIVATE;
        if (a == 0xa9fea9feu /* 169.254.169.254: AWS, GCP, Azure, OCI... */ ||
            a == 0x646464c8u /* 100.100.100.200: Alibaba */ || a == 0xa83f8110u /* 168.63.129.16: Azure wireserver */ ||
            a == 0xc00000c0u /* 192.0.0.192: Oracle Cloud Classic */)
                return NET_ADDR_METADATA;
        if (in4(a, 0xa9fe0000u, 16))
                return NET_ADDR_LINK_LOCAL;
        if (in4(a, 0x64400000u, 10))
                return NET_ADDR_CGNAT;
        if (in4(a, 0xc0000000u, 24))
                return NET_ADDR_RESERVED;
        if (in4(a, 0xc6120000u, 15))
                return NET_ADDR_BENCHMARK;
        if (in4(a, 0xe0000000u, 4))
                return NET_ADDR_MULTICAST;
        if (in4(a, 0xf0000000u, 4))
                return NET_ADDR_RESERVED;
        return NET_ADDR_PUBLIC;
}

static bool zeros(const uint8_t *b, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (b[i])
                        return false;
        return true;
}

/* IPv6 forms that carry an IPv4 address: judged by it when it is special. */
static bool classify6_embedded(const uint8_t b[16], enum net_addr_class *ret)
{
        static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
        uint8_t teredo[4];

        if (zeros(b, 10) && b[10] == 0xff && b[11] == 0xff) /* ::ffff:a.b.c.d */
                return *ret = classify4(be32(b + 12)), true;
        if (zeros(b, 12)) { /* ::a.b.c.d, deprecated: never a real destination */
                *ret = classify4(be32(b + 12));
                if (*ret == NET_ADDR_PUBLIC)
                        *ret = NET_ADDR_RESERVED;
                return true;
        }
        if (memcmp(b, nat64, sizeof(nat64)) == 0)
                return *ret = classify4(be32(b + 12)), true;
        if (b[0] == 0x20 && b[1] == 0x02) /* 6to4 */
                return *ret = classify4(be32(b + 2)), true;
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) { /* Teredo: client inverted */
                for (int i = 0; i < 4; i++)
                        teredo[i] = (uint8_t)~b[12 + i];
                return *ret = classify4(be32(teredo)), true;
        }
        return false;
}

static enum net_addr_class classify6(const uint8_t b[16])
{
        static const uint8_t ec2[16] = { 0xfd, 0, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54 };
        static const uint8_t nat64_local[6] = { 0, 0x64, 0xff, 0x9b, 0, 0x01 };
        enum net_addr_class c;

        if (zeros(b, 16))
                return NET_ADDR_UNSPECIFIED;
        if (zeros(b, 15) && b[15] == 1)
                return NET_ADDR_LOOPBACK;
        if (classify6_embedded(b, &c))
                return c;
        if (b[0] == 0xff)
                return NET_ADDR_MULTICAST;
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
                return NET_ADDR_LINK_LOCAL;
        if (memcmp(b, ec2, 16) == 0)
                return NET_ADDR_METADATA;
        if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) ||
            memcmp(b, nat64_local, sizeof(nat64_local)) == 0)
                return NET_ADDR_PRIVATE;
        if (b[0] == 0x01 && zeros(b + 1, 7)) /* 100::/64, discard only */
                return NET_ADDR_RESERVED;
        return NET_ADDR_PUBLIC;
}

enum net_addr_class net_addr_classify(const struct sockaddr *sa)
{
        struct sockaddr_in in;
        struct sockaddr_in6 in6;

        if (sa && sa->sa_family == AF_INET) {
                memcpy(&in, sa, sizeof(in));
                return classify4(ntohl(in.sin_addr.s_addr));
        }
        if (sa && sa->sa_family == AF_INET6) {
                memcpy(&in6, sa, sizeof(in6));
                return classify6(in6.sin6_addr.s6_addr);
        }
        return NET_ADDR_UNKNOWN;
}

const char *net_addr_class_name(enum net_addr_class c)
{
        switch (c) {
        case NET_ADDR_PUBLIC:
                return "public";
        case NET_ADDR_UNSPECIFIED:
                return "unspecified";
        case NET_ADDR_LOOPBACK:
                return "loopback";
        case NET_ADDR_PRIVATE:
                return "private";
        case NET_ADDR_LINK_LOCAL:
                return "link-local";
        case NET_ADDR_METADATA:
                return "cloud metadata";
        case NET_ADDR_MULTICAST:
                return "multicast";
        case NET_ADDR_CGNAT:
                return "carrier-grade NAT";
        case NET_ADDR_BENCHMARK:
                return "benchmarking";
        case NET_ADDR_RESERVED:
                return "reserved";
        case NET_ADDR_UNKNOWN:
                break;
        }
        return "non-IP";
}

/* ---- the operator's allow-list ---- */

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
        unsigned whole = prefix / 8, rest = prefix % 8;

        if (memcmp(a, net, whole) != 0)
                return false;
        return rest == 0 || ((a[whole] ^ net[whole]) & (uint8_t)(0xff00u >> rest)) == 0;
}

static const char *cidr_parse(const char *spec, struct net_cidr *ret)
{
        char buf[INET6_ADDRSTRLEN + 8];
        size_t len = strnlen(spec, sizeof(buf));
        char *slash, *host = buf;
        unsigned max, prefix;

        if (len == 0)
                return "empty address";
        if (len >= sizeof(buf))
                return "too long";
        memcpy(buf, spec, len + 1);
        slash = strchr(buf, '/');
        if (slash)
                *slash++ = '\0';
        if (host[0] == '[' && host[strlen(host) - 1] == ']') {
                host[strlen(host) - 1] = '\0';
                host++;
        }
        memset(ret, 0, sizeof(*ret));
        ret->family = parse_ip(host, false, ret->addr);
        if (!ret->family)
                return "not an IPv4 or IPv6 address";
        max = ret->family == AF_INET ? 32 : 128;
        prefix = max;
        if (slash) {
                uint16_t v = 0;
                if (strcmp(slash, "0") != 0 && parse_port(slash, strlen(slash), &v))
                        return "bad prefix length";
                prefix = v;
                if (prefix > max)
                        return "prefix length too long for the address";
        }
        /* what survives the mask must be the address itself */
        for (unsigned i = prefix; i < max; i++)
                if (ret->addr[i / 8] & (0x80u >> (i % 8)))
                        return "address has bits set past the prefix length";
        ret->prefix = (uint8_t)prefix;
        return NULL;
}

int net_cidr_list_add(struct net_cidr_list *l, const char *spec, struct al_error *err)
{
        char shown[SHOW_MAX + 4];
        struct net_cidr c;
        const char *why = spec ? cidr_parse(spec, &c) : "empty address";

        if (why)
                return al_error_setx(err, EINVAL, "bad allowed address '%s': %s", show(spec, shown, sizeof(shown)),
                                     why);
        if (l->n >= NET_CIDR_MAX)
                return al_error_setx(err, E2BIG, "more than %d allowed addresses", NET_CIDR_MAX);
        l->items[l->n++] = c;
        return 0;
}

bool net_cidr_list_contains(const struct net_cidr_list *l, const struct sockaddr *sa)
{
        uint8_t addr[16];
        uint16_t port;
        int family = sa_split(sa, addr, &port);

        for (size_t i = 0; family && i < l->n; i++)
                if (l->items[i].family == family && prefix_match(addr, l->items[i].addr, l->items[i].prefix))
                        return true;
        return false;
}

/* ---- static name overrides ---- */

static const char *override_name(const char *s, size_t len, struct net_override *o)
{
        struct hostport hp;
        const char *why = split_hostport(s, len, &hp);
        uint8_t addr[16];

        if (why)
                return why;
        if (hp.bracketed || strchr(hp.host, ':') || hp.host[0] == '*')
                return "the name must be a host name";
        if (name_check(hp.host, o->name, sizeof(o->name), &why) < 0)
                return why;
        /* An IPv4 literal is allowed too: it overrides where a sandbox that
         * dials that address directly is sent. */
        if (looks_numeric(o->name) && parse_ip(o->name, false, addr) != AF_INET)
                return "bad IPv4 address";
        o->match_port = hp.port;
        return NULL;
}

static const char *override_addr(const char *s, size_t len, struct net_override *o)
{
        struct hostport hp;
        const char *why = split_hostport(s, len, &hp);
        uint8_t addr[16];
        int family;

        if (why)
                return why;
        family = parse_ip(hp.host, hp.bracketed, addr);
        if (!family)
                return "the address must be IPv4 or [IPv6]";
        o->port = hp.port;
        memset(&o->addr, 0, sizeof(o->addr));
        if (family == AF_INET) {
                struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(hp.port) };
                memcpy(&in.sin_addr, addr, 4);
                memcpy(&o->addr, &in, sizeof(in));
        } else {
                struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(hp.port) };
                memcpy(&in6.sin6_addr, addr, 16);
                memcpy(&o->addr, &in6, sizeof(in6));
        }
        return NULL;
}

int net_override_parse(const char *spec, struct net_override *ret, struct al_error *err)
{
        char shown[SHOW_MAX + 4];
        struct net_override o = { 0 };
        const char *eq = spec ? strchr(spec, '=') : NULL, *why;
        size_t len = spec ? strnlen(spec, NET_OVERRIDE_MAX_SPEC + 1) : 0;

        memset(&o, 0, sizeof(o));
        if (len > NET_OVERRIDE_MAX_SPEC)
                why = "too long";
        else if (!eq || strchr(eq + 1, '='))
                why = "expected name[:port]=address[:port]";
        else if (!(why = override_name(spec, (size_t)(eq - spec), &o)))
                why = override_addr(eq + 1, len - (size_t)(eq - spec) - 1, &o);
        if (why)
                return al_error_setx(err, EINVAL, "bad override '%s': %s", show(spec, shown, sizeof(shown)), why);
        *ret = o;
        return 0;
}

int net_override_list_add(struct net_override_list *l, const char *spec, struct al_error *err)
{
        struct net_override o = { 0 };
        int r = net_override_parse(spec, &o, err);

        if (r < 0)
                return r;
        if (l->n >= NET_OVERRIDE_MAX)
                return al_error_setx(err, E2BIG, "more than %d overrides", NET_OVERRIDE_MAX);
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].match_port == o.match_port && strcmp(l->items[i].name, o.name) == 0)
                        return al_error_setx(err, EEXIST, "override for %s given twice", o.name);
        l->items[l->n++] = o;
        return 0;
}

const struct net_override *net_override_find(const struct net_override_list *l, const char *name, uint16_t port)
{
        const struct net_override *any = NULL;
        char n[NET_NAME_MAX + 1];

        if (!name || net_name_normalize(name, n, sizeof(n)) < 0)
                return NULL;
        for (size_t i = 0; i < l->n; i++) {
                const struct net_override *o = &l->items[i];
                if (strcmp(o->name, n) != 0)
                        continue;
                if (o->match_port == port && port)
                        return o;
                if (o->match_port == 0 && !any)
                        any = o;
        }
        return any;
}
