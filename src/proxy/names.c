/* SPDX-License-Identifier: Apache-2.0 */
/* Synthetic addresses: each name a sandbox resolves gets its own address in
 * 198.18.0.0/15, so that a connection's destination says which name it was
 * meant for, whatever the protocol. The book is per sandbox and bounded: past
 * PX_MAX_NAMES the oldest name gives its address to the new one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static uint32_t hash(const char *s)
{
        uint32_t h = 2166136261u;

        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        return h % PX_NAME_BUCKETS;
}

int px_names_init(struct px_names *n)
{
        memset(n, 0, sizeof(*n));
        n->name = calloc(PX_MAX_NAMES, sizeof(*n->name));
        n->chain = calloc(PX_MAX_NAMES, sizeof(*n->chain));
        if (!n->name || !n->chain) {
                px_names_free(n);
                return -1;
        }
        for (size_t i = 0; i < PX_NAME_BUCKETS; i++)
                n->head[i] = -1;
        return 0;
}

void px_names_free(struct px_names *n)
{
        free(n->name);
        free(n->chain);
        n->name = NULL;
        n->chain = NULL;
}

static int32_t find(const struct px_names *n, const char *name, uint32_t h)
{
        for (int32_t i = n->head[h]; i >= 0; i = n->chain[i])
                if (strcmp(n->name[i], name) == 0)
                        return i;
        return -1;
}

static void unlink_slot(struct px_names *n, int32_t slot)
{
        int32_t *p = &n->head[hash(n->name[slot])];

        while (*p >= 0 && *p != slot)
                p = &n->chain[*p];
        if (*p == slot)
                *p = n->chain[slot];
}

uint32_t px_names_addr(struct px_names *n, const char *name)
{
        uint32_t h = hash(name);
        int32_t i = find(n, name, h);

        if (i < 0) {
                i = (int32_t)n->next;
                if (n->count == PX_MAX_NAMES)
                        unlink_slot(n, i);
                else
                        n->count++;
                n->next = (n->next + 1) % PX_MAX_NAMES;
                snprintf(n->name[i], sizeof(n->name[i]), "%s", name);
                n->chain[i] = n->head[h];
                n->head[h] = i;
        }
        return PX_SYNTH_NET + 1 + (uint32_t)i;
}

const char *px_names_lookup(const struct px_names *n, uint32_t addr)
{
        uint32_t i = addr - PX_SYNTH_NET - 1;

        if (addr <= PX_SYNTH_NET || i >= n->count)
                return NULL;
        return n->name[i];
}
