/* SPDX-License-Identifier: Apache-2.0 */
/* What the REST route files share: query parameters and error bodies. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rest.h"
#include "common/limits.h"

static int hex_value(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* The next decoded character of [*p, end), advancing *p; -1 on a bad escape.
 * '+' is a space, as in application/x-www-form-urlencoded (URLSearchParams). */
static int next_decoded(const char **p, const char *end)
{
        const char *s = *p;

        if (*s == '+') {
                *p = s + 1;
                return ' ';
        }
        if (*s != '%') {
                *p = s + 1;
                return (unsigned char)*s;
        }
        if (end - s < 3 || hex_value(s[1]) < 0 || hex_value(s[2]) < 0)
                return -1;
        *p = s + 3;
        return hex_value(s[1]) << 4 | hex_value(s[2]);
}

/* Does the encoded [p, end) decode to exactly key? Compared as it is decoded,
 * so no buffer bounds a client's key. */
static bool key_equals(const char *p, const char *end, const char *key)
{
        while (p < end) {
                int c = next_decoded(&p, end);
                if (c <= 0 || *key != (char)c)
                        return false;
                key++;
        }
        return *key == '\0';
}

static const char *decode_into(const char *p, const char *end, char *buf, size_t len)
{
        size_t n = 0;

        while (p < end) {
                int c = next_decoded(&p, end);
                if (c <= 0 || n + 1 >= len)
                        return NULL; /* bad escape, a NUL, or too long */
                buf[n++] = (char)c;
        }
        buf[n] = '\0';
        return buf;
}

const char *api_query_get(const char *query, const char *key, char *buf, size_t len)
{
        const char *p = query;

        if (!query || !key || !buf || len == 0)
                return NULL;
        while (*p) {
                const char *amp = strchrnul(p, '&');
                const char *eq = memchr(p, '=', (size_t)(amp - p));
                const char *kend = eq ? eq : amp;
                if (key_equals(p, kend, key))
                        return decode_into(eq ? eq + 1 : amp, amp, buf, len);
                p = *amp ? amp + 1 : amp;
        }
        return NULL;
}

void api_rest_error(struct api_rest_res *res, int status, const char *code, const char *fmt, ...)
{
        char msg[AL_MAX_ERRMSG];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_decref(res->body);
        res->status = status;
        res->body = json_pack("{s:s,s:s}", "code", code, "message", msg);
        res->link[0] = '\0';
}
