/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "limits.h"

static struct {
        bool json;
        enum al_log_level min;
} lg = { .min = AL_LOG_INFO };

static const char *const level_names[] = {
        [AL_LOG_DEBUG] = "debug",
        [AL_LOG_INFO] = "info",
        [AL_LOG_WARN] = "warn",
        [AL_LOG_ERROR] = "error",
};

void al_log_set_format(bool json)
{
        lg.json = json;
}

void al_log_set_level(enum al_log_level min)
{
        lg.min = min;
}

int al_log_level_parse(const char *name, enum al_log_level *ret)
{
        for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
                if (strcmp(name, level_names[i]) == 0) {
                        *ret = (enum al_log_level)i;
                        return 0;
                }
        return -EINVAL;
}

/* The length of the UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
        size_t len;
        unsigned min;
        unsigned cp;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xe0) == 0xc0)
                len = 2, min = 0x80, cp = s[0] & 0x1f;
        else if ((s[0] & 0xf0) == 0xe0)
                len = 3, min = 0x800, cp = s[0] & 0x0f;
        else if ((s[0] & 0xf8) == 0xf0)
                len = 4, min = 0x10000, cp = s[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

/* A hostile value made safe to print: valid UTF-8 (other bytes become '?'),
 * at most AL_LOG_MAX_VALUE bytes, cut on a character and marked "...". */
static size_t sanitize(const char *v, char out[AL_LOG_MAX_VALUE + 4])
{
        const unsigned char *s = (const unsigned char *)(v ? v : "");
        size_t n = strlen((const char *)s), o = 0;

        for (size_t i = 0; i < n;) {
                size_t l = utf8_len(s + i, n - i);
                if (o + (l ? l : 1) > AL_LOG_MAX_VALUE) {
                        memcpy(out + o, "...", 3);
                        o += 3;
                        break;
                }
                if (l) {
                        memcpy(out + o, s + i, l);
                        o += l;
                        i += l;
                } else {
                        out[o++] = '?';
                        i++;
                }
        }
        out[o] = '\0';
        return o;
}

struct line {
        char buf[AL_LOG_MAX_LINE];
        size_t len;
        bool full;
};

static void put(struct line *l, const char *s, size_t n)
{
        /* room is kept for "...\n" */
        if (l->full || l->len + n + 4 >= sizeof(l->buf)) {
                if (!l->full)
                        memcpy(l->buf + l->len, "...", 3), l->len += 3;
                l->full = true;
                return;
        }
        memcpy(l->buf + l->len, s, n);
        l->len += n;
}

static bool logfmt_needs_quotes(const char *v)
{
        if (!*v)
                return true;
        for (const unsigned char *p = (const unsigned char *)v; *p; p++)
                if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
                        return true;
        return false;
}

static void put_logfmt_value(struct line *l, const char *v)
{
        char esc[8];

        if (!logfmt_needs_quotes(v)) {
                put(l, v, strlen(v));
                return;
        }
        put(l, "\"", 1);
        for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
                if (*p == '"' || *p == '\\') {
                        esc[0] = '\\', esc[1] = (char)*p;
                        put(l, esc, 2);
                } else if (*p == '\n') {
                        put(l, "\\n", 2);
                } else if (*p == '\t') {
                        put(l, "\\t", 2);
                } else if (*p == '\r') {
                        put(l, "\\r", 2);
                } else if (*p < ' ' || *p == 0x7f) {
                        snprintf(esc, sizeof(esc), "\\u%04x", *p);
                        put(l, esc, 6);
                } else {
                        put(l, (const char *)p, 1);
                }
        }
        put(l, "\"", 1);
}

/* Keys are the program's own, but a stray one must not break the line. */
static void sanitize_key(const char *k, char out[64])
{
        size_t i = 0;

        for (; k && k[i] && i < 63; i++) {
                char ch = k[i];
                bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                          ch == '_' || ch == '.' || ch == '-';
                out[i] = ok ? ch : '_';
        }
        if (i == 0)
                out[i++] = '_';
        out[i] = '\0';
}

static void now_iso(char out[32])
{
        struct timespec ts;
        struct tm tm;

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static void emit_logfmt(struct line *l, const char *fixed[8], va_list ap)
{
        char val[AL_LOG_MAX_VALUE + 4], key[64];
        const char *k;

        for (int i = 0; i < 8; i += 2) {
                if (i)
                        put(l, " ", 1);
                put(l, fixed[i], strlen(fixed[i]));
                put(l, "=", 1);
                sanitize(fixed[i + 1], val);
                put_logfmt_value(l, val);
        }
        while ((k = va_arg(ap, const char *))) {
                sanitize_key(k, key);
                sanitize(va_arg(ap, const char *), val);
                put(l, " ", 1);
                put(l, key, strlen(key));
                put(l, "=", 1);
                put_logfmt_value(l, val);
        }
}

static void emit_json(struct line *l, const char *fixed[8], va_list ap)
{
        char val[AL_LOG_MAX_VALUE + 4], key[64];
        json_t *o = json_object();
        const char *k;
        char *text;

        for (int i = 0; i < 8; i += 2) {
                size_t n = sanitize(fixed[i + 1], val);
                json_object_set_new(o, fixed[i], json_stringn(val, n));
        }
        while ((k = va_arg(ap, const char *))) {
                size_t n = sanitize(va_arg(ap, const char *), val);
                sanitize_key(k, key);
                /* a caller's key never hides one of the four fixed ones */
                if (!json_object_get(o, key))
                        json_object_set_new(o, key, json_stringn(val, n));
        }
        text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (text && strlen(text) + 2 < sizeof(l->buf))
                put(l, text, strlen(text));
        else
                put(l, "{\"msg\":\"log line too long\"}", 27);
        free(text);
}

void al_log(enum al_log_level lvl, const char *component, const char *msg, ...)
{
        struct line l = { .len = 0 };
        char ts[32];
        va_list ap;

        if (lvl < lg.min || lvl > AL_LOG_ERROR)
                return;
        now_iso(ts);
        const char *fixed[8] = { "time", ts, "level", level_names[lvl], "component", component, "msg", msg };
        va_start(ap, msg);
        if (lg.json)
                emit_json(&l, fixed, ap);
        else
                emit_logfmt(&l, fixed, ap);
        va_end(ap);
        l.buf[l.len++] = '\n';
        /* one write per line: lines of concurrent writers do not interleave */
        (void)!write(STDERR_FILENO, l.buf, l.len);
}
