/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: allowNet entries, the operator's allowed addresses and name
 * overrides, one per line. Every line is tried as each; what is accepted
 * must then match itself. The first 18 bytes also make a socket address to
 * classify and look up. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "net/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LINES 64

static void sockaddr_from(const uint8_t *data, size_t size, struct sockaddr_storage *ss)
{
        uint8_t b[18] = { 0 };

        memcpy(b, data, size < sizeof(b) ? size : sizeof(b));
        memset(ss, 0, sizeof(*ss));
        if (b[0] & 1) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
                in6->sin6_family = AF_INET6;
                memcpy(&in6->sin6_port, b, 2);
                memcpy(&in6->sin6_addr, b + 2, 16);
        } else {
                struct sockaddr_in *in = (struct sockaddr_in *)ss;
                in->sin_family = AF_INET;
                memcpy(&in->sin_port, b, 2);
                memcpy(&in->sin_addr, b + 2, 4);
        }
}

static void try_line(const char *line, struct net_policy *p, struct net_cidr_list *cidrs,
                     struct net_override_list *ovr)
{
        struct al_error err = { 0 };
        size_t n = p->n_rules;

        if (net_policy_add(p, line, &err) == 0) {
                const struct net_policy_rule *r = &p->rules[n];
                if (r->kind == NET_RULE_NAME && !net_policy_allows_name(p, r->name, r->port))
                        __builtin_trap();
        } else if (!err.code || !err.msg[0] || p->n_rules != n) {
                __builtin_trap();
        }
        err = (struct al_error){ 0 };
        n = cidrs->n;
        if (net_cidr_list_add(cidrs, line, &err) == 0) {
                const struct net_cidr *c = &cidrs->items[n];
                struct sockaddr_storage ss = { 0 };
                ((struct sockaddr *)&ss)->sa_family = (sa_family_t)c->family;
                if (c->family == AF_INET)
                        memcpy(&((struct sockaddr_in *)&ss)->sin_addr, c->addr, 4);
                else
                        memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, c->addr, 16);
                if (!net_cidr_list_contains(cidrs, (struct sockaddr *)&ss))
                        __builtin_trap();
        }
        err = (struct al_error){ 0 };
        n = ovr->n;
        if (net_override_list_add(ovr, line, &err) == 0) {
                const struct net_override *o = &ovr->items[n];
                if (net_override_find(ovr, o->name, o->match_port) == NULL)
                        __builtin_trap();
        }
        (void)net_policy_allows_name(p, line, 443);
        (void)net_override_find(ovr, line, 80);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct net_policy p;
        struct net_cidr_list *cidrs = calloc(1, sizeof(*cidrs));
        struct net_override_list *ovr = calloc(1, sizeof(*ovr));
        struct sockaddr_storage ss;
        char *text = malloc(size + 1), *line, *save = NULL;
        int lines = 0;

        if (!cidrs || !ovr || !text)
                goto out;
        memcpy(text, data, size);
        text[size] = '\0';
        net_policy_init_none(&p);
        for (line = strtok_r(text, "\n", &save); line && lines < FUZZ_MAX_LINES;
             line = strtok_r(NULL, "\n", &save), lines++)
                try_line(line, &p, cidrs, ovr);
        sockaddr_from(data, size, &ss);
        enum net_addr_class c = net_addr_classify((struct sockaddr *)&ss);
        if (!net_addr_class_name(c))
                __builtin_trap();
        (void)net_policy_allows_addr(&p, (struct sockaddr *)&ss);
        (void)net_cidr_list_contains(cidrs, (struct sockaddr *)&ss);
        net_policy_free(&p);
out:
        free(text);
        free(cidrs);
        free(ovr);
        return 0;
}
