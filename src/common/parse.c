/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

struct size_suffix {
        const char *name;
        unsigned shift;
};

static const struct size_suffix suffixes[] = {
        { "", 0 },     { "b", 0 },  { "k", 10 },  { "kb", 10 },  { "kib", 10 }, { "m", 20 },  { "mb", 20 },
        { "mib", 20 }, { "g", 30 }, { "gb", 30 }, { "gib", 30 }, { "t", 40 },   { "tb", 40 }, { "tib", 40 },
};

static int parse_digits(const char **p, uint64_t *ret)
{
        uint64_t v = 0;
        const char *s = *p;

        if (!isdigit((unsigned char)*s))
                return -EINVAL;
        for (; isdigit((unsigned char)*s); s++) {
                unsigned d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *p = s;
        *ret = v;
        return 0;
}

int al_parse_size(const char *s, uint64_t *ret_bytes)
{
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(&s, &v);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
                if (strcasecmp(s, suffixes[i].name) != 0)
                        continue;
                if (suffixes[i].shift && v > (UINT64_MAX >> suffixes[i].shift))
                        return -ERANGE;
                *ret_bytes = v << suffixes[i].shift;
                return 0;
        }
        return -EINVAL;
}

int al_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
        uint64_t v;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(&s, &v);
        if (r < 0)
                return r;
        if (*s)
                return -EINVAL;
        if (v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int al_parse_env_assignment(const char *s)
{
        const char *eq = s ? strchr(s, '=') : NULL;

        if (!eq || eq == s)
                return -EINVAL;
        return 0;
}
