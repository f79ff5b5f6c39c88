/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: what the store's REST routes take from a client before the
 * store sees it: volume capacities ("10GiB", 512.5MB, 1e9), slugs, query
 * strings (api_query_get) and the pagination Link built from a cursor and a
 * search. The first byte picks the parser. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/console.h"
#include "api/rest.h"
#include "common/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void capacity(const char *s, size_t size)
{
        struct al_error err = { 0 };
        uint64_t bytes = 0;
        /* the string form, and the text as JSON (numbers, reals, anything) */
        json_t *str = json_stringn(s, size), *any = json_loadb(s, size, JSON_DECODE_ANY, NULL);
        json_t *vals[] = { str, any };

        for (size_t i = 0; i < 2; i++) {
                if (!vals[i])
                        continue;
                err = (struct al_error){ 0 };
                if (api_console_capacity_parse(vals[i], &bytes, &err) == 0) {
                        if (bytes < AL_MIN_VOLUME || bytes > AL_MAX_VOLUME)
                                __builtin_trap();
                } else if (!err.msg[0]) {
                        __builtin_trap();
                }
        }
        json_decref(str);
        json_decref(any);
}

static void slug(const char *s)
{
        if (api_console_slug_valid(s)) {
                size_t n = strlen(s);
                if (n == 0 || n > STORE_NAME_MAX || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                              "0123456789._-") != n)
                        __builtin_trap();
        }
}

/* "key\nquery": the value comes out decoded, NUL-terminated, within buf. */
static void query(char *s)
{
        char *nl = strchr(s, '\n');
        const char *key = "cursor";
        char small[8], big[512];

        if (nl) {
                *nl = '\0';
                key = s;
                s = nl + 1;
        }
        const char *v = api_query_get(s, key, big, sizeof(big));
        if (v && (v != big || strlen(big) >= sizeof(big)))
                __builtin_trap();
        v = api_query_get(s, key, small, sizeof(small));
        if (v && (v != small || strlen(small) >= sizeof(small)))
                __builtin_trap();
}

/* "cursor\nsearch": the link fits or is refused, never cut. */
static void next_link(char *s)
{
        char *nl = strchr(s, '\n'), buf[1024];
        const char *search = nl ? nl + 1 : NULL;

        if (nl)
                *nl = '\0';
        int n = api_console_next_link(buf, sizeof(buf), "http://127.0.0.1:8080", "volumes", s, 50, search);
        if (n >= 0 && ((size_t)n != strlen(buf) || strncmp(buf, "<http://127.0.0.1:8080/api/v2/volumes?cursor=", 45) ||
                       strpbrk(buf + 1, "<> ,;\r\n\"") != buf + n - 13))
                __builtin_trap();
        else if (n < 0 && n != -ENOSPC)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        uint8_t which = data[0] % 4;
        char *s = malloc(size);

        if (!s)
                return 0;
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        if (which == 0)
                capacity(s, size - 1);
        else if (which == 1)
                slug(s);
        else if (which == 2)
                query(s);
        else
                next_link(s);
        free(s);
        return 0;
}
