/* SPDX-License-Identifier: Apache-2.0 */
/* What the console routes parse and build without touching the store:
 * capacities, slugs, pagination links. Kept apart so unit tests reach them. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "console.h"
#include "common/cleanup.h"
#include "common/limits.h"

struct unit {
        const char *name;
        uint64_t mult;
};

static const struct unit units[] = {
        { "B", 1 },
        { "kB", 1000ull },
        { "KB", 1000ull },
        { "MB", 1000ull * 1000 },
        { "GB", 1000ull * 1000 * 1000 },
        { "TB", 1000ull * 1000 * 1000 * 1000 },
        { "KiB", 1ull << 10 },
        { "MiB", 1ull << 20 },
        { "GiB", 1ull << 30 },
        { "TiB", 1ull << 40 },
};

/* "<digits>[.<digits>]<unit>", at most 19 integer and 9 fraction digits. */
static int parse_size_string(const char *s, uint64_t *ret)
{
        uint64_t ip = 0, fp = 0, scale = 1, mult = 0;
        size_t ni = 0, nf = 0;

        for (; s[ni] >= '0' && s[ni] <= '9'; ni++)
                ip = ip * 10 + (uint64_t)(s[ni] - '0');
        if (ni == 0 || ni > 19)
                return -EINVAL;
        s += ni;
        if (*s == '.') {
                for (s++; s[nf] >= '0' && s[nf] <= '9'; nf++) {
                        if (nf < 9) {
                                fp = fp * 10 + (uint64_t)(s[nf] - '0');
                                scale *= 10;
                        }
                }
                if (nf == 0)
                        return -EINVAL;
                s += nf;
        }
        if (*s == '\0')
                mult = 1;
        for (size_t i = 0; !mult && i < ARRAY_SIZE(units); i++)
                if (strcmp(s, units[i].name) == 0)
                        mult = units[i].mult;
        if (!mult)
                return -EINVAL;
        unsigned __int128 v = (unsigned __int128)ip * mult + (unsigned __int128)fp * mult / scale;
        *ret = v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
        return 0;
}

int api_console_capacity_parse(json_t *v, uint64_t *ret, struct al_error *err)
{
        uint64_t bytes = 0;

        if (json_is_integer(v) && json_integer_value(v) >= 0) {
                bytes = (uint64_t)json_integer_value(v);
        } else if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 1.8e19) {
                bytes = (uint64_t)json_real_value(v); /* truncation: the floor of a positive number */
        } else if (!json_is_string(v) || parse_size_string(json_string_value(v), &bytes) < 0) {
                return al_error_setx(err, EINVAL,
                                     "capacity must be a number of bytes or a string such as \"10GB\", "
                                     "\"512MiB\" or \"1GiB\"");
        }
        if (bytes < AL_MIN_VOLUME || bytes > AL_MAX_VOLUME)
                return al_error_setx(err, EINVAL,
                                     "capacity %" PRIu64 " bytes is out of range: between %llu MiB and %llu GiB", bytes,
                                     AL_MIN_VOLUME >> 20, AL_MAX_VOLUME >> 30);
        *ret = bytes;
        return 0;
}

bool api_console_slug_valid(const char *slug)
{
        size_t n = slug ? strnlen(slug, STORE_NAME_MAX + 1) : 0;

        if (n == 0 || n > STORE_NAME_MAX)
                return false;
        if (strncmp(slug, "vol_", 4) == 0 || strncmp(slug, "snp_", 4) == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = slug[i];
                bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (!alnum && (i == 0 || !strchr("._-", c)))
                        return false;
        }
        return true;
}

/* Percent-encode all but the unreserved characters: a ',' or ';' would
 * split the header where the SDK does not expect it. */
static size_t encode_into(char *buf, size_t len, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t n = 0;

        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                             strchr("-._~", c);
                if (n + 4 > len)
                        return len; /* the caller sees it full */
                if (plain) {
                        buf[n++] = (char)c;
                } else {
                        buf[n++] = '%';
                        buf[n++] = hex[c >> 4];
                        buf[n++] = hex[c & 15];
                }
        }
        buf[n] = '\0';
        return n;
}

int api_console_next_link(char *buf, size_t len, const char *base_url, const char *collection, const char *cursor,
                          unsigned limit, const char *search)
{
        char enc_cursor[3 * STORE_ID_MAX + 4], enc_search[3 * 256 + 4];
        size_t n;
        int w;

        n = encode_into(enc_cursor, sizeof(enc_cursor), cursor);
        if (n >= sizeof(enc_cursor))
                return -ENOSPC;
        enc_search[0] = '\0';
        if (search && *search && encode_into(enc_search, sizeof(enc_search), search) >= sizeof(enc_search))
                return -ENOSPC;
        w = snprintf(buf, len, "<%s/api/v2/%s?cursor=%s&limit=%u%s%s>; rel=\"next\"",
                     base_url && *base_url ? base_url : "http://localhost", collection, enc_cursor, limit,
                     enc_search[0] ? "&search=" : "", enc_search);
        if (w < 0 || (size_t)w >= len)
                return -ENOSPC;
        return w;
}
