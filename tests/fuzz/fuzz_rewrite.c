/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the request rewriter and the response redactor, each fed the
 * same bytes whole and in pieces whose sizes come from the input. Pieces must
 * not change what comes out; the redactor's output must have the input's
 * length, equal a plain reference, and hold no secret value.
 *
 * Input: 4 bytes seeding the piece sizes, 1 byte n, n bytes of an extra
 * value (the redactor's only), then the stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prefix-sharing (SECRET / SECRETVALUE), overlapping (SECRETVALUE / VALUEX)
 * and self-overlapping (aXa) values; seeds in corpus/rewrite use them. */
static const char *const placeholders[] = {
        NET_PLACEHOLDER_PREFIX "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        NET_PLACEHOLDER_PREFIX "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        NET_PLACEHOLDER_PREFIX "cccccccccccccccccccccccccccccccc",
        NET_PLACEHOLDER_PREFIX "dddddddddddddddddddddddddddddddd",
};
static const char *const values[] = { "SECRET", "SECRETVALUE", "VALUEX", "aXa" };
#define NFIXED 4

struct out {
        uint8_t *p;
        size_t n, cap;
};

static int collect(void *ctx, const void *p, size_t n)
{
        struct out *o = ctx;

        if (o->n + n > o->cap) {
                o->cap = (o->n + n) * 2;
                o->p = realloc(o->p, o->cap);
                if (!o->p)
                        abort();
        }
        memcpy(o->p + o->n, p, n);
        o->n += n;
        return 0;
}

static uint32_t next(uint32_t *s)
{
        *s ^= *s << 13;
        *s ^= *s >> 17;
        *s ^= *s << 5;
        return *s;
}

static int rewrite(const struct net_secret *sec, const uint8_t *p, size_t n, uint32_t seed,
                   struct out *o)
{
        struct net_req_rewriter *r = net_req_rewriter_new(sec, NFIXED, collect, o);
        int ret = 0;

        if (!r)
                abort();
        for (size_t off = 0, step; off < n && ret == 0; off += step) {
                step = seed ? 1 + next(&seed) % 64 : n;
                step = step > n - off ? n - off : step;
                ret = net_req_rewriter_feed(r, p + off, step);
        }
        net_req_rewriter_free(r);
        return ret;
}

static void redact(const struct net_secret *sec, size_t nsec, const uint8_t *p, size_t n,
                   uint32_t seed, struct out *o)
{
        struct net_redactor *d = net_redactor_new(sec, nsec, collect, o);

        if (!d)
                abort();
        for (size_t off = 0, step; off < n; off += step) {
                step = seed ? 1 + next(&seed) % 64 : n;
                step = step > n - off ? n - off : step;
                if (net_redactor_feed(d, p + off, step) < 0)
                        abort();
        }
        if (net_redactor_flush(d) < 0)
                abort();
        net_redactor_free(d);
}

static void redact_reference(const struct net_secret *sec, size_t nsec, const uint8_t *p, size_t n,
                             uint8_t *out)
{
        memcpy(out, p, n);
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < nsec; k++) {
                        size_t len = strlen(sec[k].value);
                        if (i + len <= n && memcmp(p + i, sec[k].value, len) == 0)
                                memset(out + i, '*', len);
                }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct net_secret sec[NFIXED + 1];
        struct out whole = { 0 }, split = { 0 };
        char extra[16] = { 0 };
        uint32_t seed;
        size_t nsec = NFIXED, xlen;

        if (size < 5)
                return 0;
        memcpy(&seed, data, 4);
        seed |= 1; /* xorshift needs a nonzero state */
        xlen = data[4] % 8;
        if (size < 5 + xlen)
                return 0;
        for (size_t i = 0; i < xlen; i++) /* no NUL, and no '*' a mask could rebuild */
                extra[i] = data[5 + i] && data[5 + i] != '*' ? (char)data[5 + i] : '#';
        data += 5 + xlen;
        size -= 5 + xlen;
        for (size_t k = 0; k < NFIXED; k++) {
                memcpy(sec[k].placeholder, placeholders[k], NET_PLACEHOLDER_LEN + 1);
                sec[k].value = (char *)values[k];
        }
        if (xlen)
                sec[nsec++] = (struct net_secret){ .value = extra };

        /* request side: pieces change nothing */
        int rw = rewrite(sec, data, size, 0, &whole);
        int rs = rewrite(sec, data, size, seed, &split);
        if ((rw < 0) != (rs < 0) || whole.n != split.n ||
            (whole.n && memcmp(whole.p, split.p, whole.n) != 0))
                abort();

        /* response side: the reference, whatever the pieces */
        uint8_t *want = malloc(size ? size : 1);
        whole.n = split.n = 0;
        redact(sec, nsec, data, size, 0, &whole);
        redact(sec, nsec, data, size, seed, &split);
        redact_reference(sec, nsec, data, size, want);
        if (whole.n != size || split.n != size ||
            (size && (memcmp(whole.p, want, size) != 0 || memcmp(split.p, want, size) != 0)))
                abort();
        for (size_t k = 0; size && k < nsec; k++)
                if (memmem(split.p, split.n, sec[k].value, strlen(sec[k].value)))
                        abort();
        free(want);
        free(whole.p);
        free(split.p);
        return 0;
}
