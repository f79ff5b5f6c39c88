/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers for method parameters that come from clients: ISO dates, text that
 * may not be UTF-8, JavaScript regexes. Pure, so a fuzzer drives them alone. */
#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "params.h"

/* Invalid UTF-8 becomes U+FFFD, as Deno's TextDecoder does. */
json_t *init_utf8_lossy(const uint8_t *s, size_t len)
{
        _cleanup_free_ char *out = malloc(len * 3 + 1);
        size_t o = 0;

        if (!out)
                return NULL;
        for (size_t i = 0; i < len;) {
                unsigned c = s[i];
                size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
                bool ok = n > 0 && i + n <= len && !(n == 2 && c < 0xc2) && !(n == 4 && c > 0xf4);
                for (size_t k = 1; ok && k < n; k++)
                        ok = (s[i + k] & 0xc0) == 0x80;
                if (ok && n == 3) {
                        unsigned cp = (c & 0x0f) << 12 | (s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f);
                        ok = cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff);
                }
                if (ok && n == 4) {
                        unsigned cp = (c & 0x07) << 18 | (s[i + 1] & 0x3f) << 12;
                        ok = cp >= 0x10000 && cp <= 0x10ffff;
                }
                if (ok && !(n == 1 && c == 0)) {
                        memcpy(out + o, s + i, n);
                        o += n;
                        i += n;
                } else if (ok) { /* NUL is valid text; jansson takes it with a length */
                        out[o++] = 0;
                        i++;
                } else {
                        memcpy(out + o, "\xef\xbf\xbd", 3);
                        o += 3;
                        i++;
                }
        }
        return json_stringn_nocheck(out, o); // NOLINT(clang-analyzer-unix.Malloc): _cleanup_free_ frees out
}

int init_parse_iso(const char *s, struct timespec *ts)
{
        struct tm tm = { 0 };
        unsigned ms = 0;
        const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;

        if (!rest)
                return -EINVAL;
        if (*rest == '.')
                ms = (unsigned)strtoul(rest + 1, NULL, 10) % 1000;
        ts->tv_sec = timegm(&tm);
        ts->tv_nsec = (long)ms * 1000000;
        return 0;
}

/* glibc's regcomp expands repetitions into trees: stacked or large ones
 * ("a++++...", "(a{100}){100}") take gigabytes. A client's pattern gets a
 * small budget: at most RE_MAX_REPEATS quantifiers, none stacked on another
 * (JavaScript's lazy "+?" becomes "+"), counts of at most RE_MAX_COUNT, and
 * no backreferences (they make matching exponential). */
#define RE_MAX_REPEATS 16
#define RE_MAX_COUNT 32

static bool is_quantifier(char c)
{
        return c == '*' || c == '+' || c == '?' || c == '{';
}

int init_js_regex(json_t *re, regex_t *out)
{
        const char *src = json_string_value(json_object_get(re, "source"));
        const char *flags = json_string_value(json_object_get(re, "flags"));
        char buf[1024];
        size_t o = 0;
        int repeats = 0;
        bool after_quantifier = false;

        if (!src || strlen(src) > 256)
                return -EINVAL;
        for (const char *p = src; *p && o + 16 < sizeof(buf); p++) {
                const char *rep = NULL;
                if (p[0] == '\\' && p[1]) {
                        switch (p[1]) {
                        case 'd':
                                rep = "[0-9]";
                                break;
                        case 'w':
                                rep = "[A-Za-z0-9_]";
                                break;
                        case 's':
                                rep = "[[:space:]]";
                                break;
                        case '/':
                                rep = "/";
                                break;
                        }
                }
                if (rep) {
                        o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s", rep);
                        p++;
                        after_quantifier = false;
                        continue;
                }
                if (p[0] == '\\' && p[1] >= '0' && p[1] <= '9')
                        return -EINVAL;     /* backreferences make matching exponential */
                if (p[0] == '\\' && p[1]) { /* an escaped character is a literal */
                        buf[o++] = *p++;
                        buf[o++] = *p;
                        after_quantifier = false;
                        continue;
                }
                if (is_quantifier(*p)) {
                        if (after_quantifier && *p == '?')
                                continue; /* lazy: POSIX has none, greedy matches the same paths */
                        if (after_quantifier || ++repeats > RE_MAX_REPEATS)
                                return -EINVAL;
                        if (*p == '{') {
                                char *end;
                                for (const char *q = p + 1; *q && *q != '}'; q = end) {
                                        long n = strtol(q, &end, 10);
                                        if (end == q) {
                                                end = (char *)q + 1;
                                                continue;
                                        }
                                        if (n > RE_MAX_COUNT)
                                                return -EINVAL;
                                }
                        }
                        after_quantifier = *p != '{';
                        buf[o++] = *p;
                        continue;
                }
                if (*p == '}')
                        after_quantifier = true;
                else
                        after_quantifier = false;
                buf[o++] = *p;
        }
        buf[o] = '\0';
        return regcomp(out, buf, REG_EXTENDED | REG_NOSUB | (flags && strchr(flags, 'i') ? REG_ICASE : 0)) ? -EINVAL
                                                                                                           : 0;
}
