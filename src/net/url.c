/* SPDX-License-Identifier: Apache-2.0 */
#include "url.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The five components of a URI reference (RFC 3986, 3), fragment dropped. */
struct parts {
        const char *scheme, *auth, *path, *query;
        size_t scheme_len, auth_len, path_len, query_len;
        bool has_scheme, has_auth, has_query;
};

static bool is_alpha(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

static char lower(char c)
{
        return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static size_t span_until(const char *s, size_t n, const char *stops)
{
        size_t i = 0;
        while (i < n && !strchr(stops, s[i]))
                i++;
        return i;
}

static void split(const char *s, size_t n, struct parts *p)
{
        size_t i = 0, k;

        memset(p, 0, sizeof(*p));
        if (n && is_alpha(s[0])) {
                k = 1;
                while (k < n && (is_alpha(s[k]) || is_digit(s[k]) || s[k] == '+' || s[k] == '-' || s[k] == '.'))
                        k++;
                if (k < n && s[k] == ':') {
                        p->has_scheme = true;
                        p->scheme = s;
                        p->scheme_len = k;
                        i = k + 1;
                }
        }
        if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
                i += 2;
                p->has_auth = true;
                p->auth = s + i;
                p->auth_len = span_until(s + i, n - i, "/?#");
                i += p->auth_len;
        }
        p->path = s + i;
        p->path_len = span_until(s + i, n - i, "?#");
        i += p->path_len;
        if (i < n && s[i] == '?') {
                p->has_query = true;
                p->query = s + i + 1;
                p->query_len = span_until(s + i + 1, n - i - 1, "#");
        }
}

/* ---- parsing an absolute URL ---- */

static int parse_port(const char *s, size_t n, struct net_url *u)
{
        unsigned v = 0;

        if (n == 0) /* "host:" means the default port */
                return 0;
        if (n > 5)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!is_digit(s[i]))
                        return -EINVAL;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        if (v == 0 || v > 65535)
                return -EINVAL;
        u->port = (uint16_t)v;
        u->port_given = true;
        return 0;
}

/* A registered name: labels of letters, digits, '-' and '_', one trailing dot allowed. */
static bool name_ok(const char *h)
{
        size_t label = 0;

        for (const char *c = h; *c; c++) {
                if (*c == '.') {
                        if (label == 0)
                                return false;
                        label = 0;
                } else if (is_alpha(*c) || is_digit(*c) || *c == '-' || *c == '_') {
                        if (++label > 63)
                                return false;
                } else {
                        return false;
                }
        }
        return *h != '\0';
}

static int parse_host(const char *a, size_t n, struct net_url *u)
{
        const char *colon;
        size_t hlen;
        unsigned char bin[16];

        if (memchr(a, '@', n)) /* user info: WHATWG Request refuses it too */
                return -EINVAL;
        if (n && a[0] == '[') {
                const char *end = memchr(a, ']', n);
                if (!end || (size_t)(end - a) - 1 >= sizeof(u->host))
                        return -EINVAL;
                hlen = (size_t)(end - a) - 1;
                memcpy(u->host, a + 1, hlen);
                u->host[hlen] = '\0';
                if (inet_pton(AF_INET6, u->host, bin) != 1)
                        return -EINVAL;
                u->ipv6 = u->ip = true;
                colon = end + 1;
                if (colon < a + n && *colon != ':')
                        return -EINVAL;
        } else {
                colon = memchr(a, ':', n);
                hlen = colon ? (size_t)(colon - a) : n;
                colon = a + hlen;
                if (hlen == 0 || hlen >= sizeof(u->host))
                        return hlen ? -ENAMETOOLONG : -EINVAL;
                for (size_t i = 0; i < hlen; i++)
                        u->host[i] = lower(a[i]);
                u->host[hlen] = '\0';
                if (!name_ok(u->host))
                        return -EINVAL;
                u->ip = inet_pton(AF_INET, u->host, bin) == 1;
        }
        if (colon < a + n)
                return parse_port(colon + 1, (size_t)(a + n - colon - 1), u);
        return 0;
}

int net_url_parse(const char *url, struct net_url *ret)
{
        struct net_url u = { 0 };
        struct parts p;
        size_t n = strlen(url);
        int r;

        if (n > AL_FETCH_MAX_URL)
                return -ENAMETOOLONG;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
                        return -EINVAL;
        split(url, n, &p);
        if (!p.has_scheme || !p.has_auth)
                return -EINVAL;
        if (p.scheme_len == 5 && strncasecmp(p.scheme, "https", 5) == 0)
                u.https = true;
        else if (!(p.scheme_len == 4 && strncasecmp(p.scheme, "http", 4) == 0))
                return -EPROTONOSUPPORT;
        u.port = u.https ? 443 : 80;
        r = parse_host(p.auth, p.auth_len, &u);
        if (r < 0)
                return r;
        if (u.port_given && u.port == (u.https ? 443 : 80))
                u.port_given = false;
        r = snprintf(u.target, sizeof(u.target), "%s%.*s%s%.*s", p.path_len ? "" : "/", (int)p.path_len, p.path,
                     p.has_query ? "?" : "", (int)p.query_len, p.query ? p.query : "");
        if (r < 0 || (size_t)r >= sizeof(u.target))
                return -ENAMETOOLONG;
        *ret = u;
        return 0;
}

int net_url_host_header(const struct net_url *u, char *out, size_t cap)
{
        int n = snprintf(out, cap, u->ipv6 ? "[%s]" : "%s", u->host);
        if (n >= 0 && (size_t)n < cap && u->port_given)
                n += snprintf(out + n, cap - (size_t)n, ":%u", u->port);
        return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : n;
}

bool net_url_same_origin(const struct net_url *a, const struct net_url *b)
{
        return a->https == b->https && a->port == b->port && strcmp(a->host, b->host) == 0;
}

/* ---- resolving a reference ---- */

/* Percent-encode what a header value may carry but a URL may not; tabs and
 * newlines go, as do spaces and controls at either end (WHATWG). */
static long normalize_ref(const char *ref, size_t n, char *out, size_t cap)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t o = 0;
        bool in_path = true;

        while (n && (unsigned char)ref[0] <= 0x20) {
                ref++;
                n--;
        }
        while (n && (unsigned char)ref[n - 1] <= 0x20)
                n--;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)ref[i];
                if (c == '\t' || c == '\n' || c == '\r')
                        continue;
                if (c == '?' || c == '#')
                        in_path = false;
                if (c == '#')
                        break;
                if (o + 4 > cap)
                        return -ENAMETOOLONG;
                if (c <= 0x20 || c >= 0x7f) {
                        out[o++] = '%';
                        out[o++] = hex[c >> 4];
                        out[o++] = hex[c & 15];
                } else {
                        out[o++] = c == '\\' && in_path ? '/' : (char)c;
                }
        }
        out[o] = '\0';
        return (long)o;
}

/* RFC 3986, 5.2.4; out has room for n + 1 bytes. */
static size_t remove_dots(const char *in, size_t n, char *out)
{
        size_t i = 0, o = 0;

#define AT(s) (n - i >= sizeof(s) - 1 && memcmp(in + i, s, sizeof(s) - 1) == 0)
#define IS(s) (n - i == sizeof(s) - 1 && memcmp(in + i, s, sizeof(s) - 1) == 0)
        while (i < n) {
                if (AT("../")) {
                        i += 3;
                } else if (AT("./") || AT("/./")) {
                        i += 2;
                } else if (IS("/.")) {
                        out[o++] = '/';
                        i = n;
                } else if (AT("/../") || IS("/..")) {
                        bool last = IS("/..");
                        i += 3;
                        while (o > 0 && out[o - 1] != '/')
                                o--;
                        if (o > 0)
                                o--;
                        if (last)
                                out[o++] = '/';
                } else if (IS(".") || IS("..")) {
                        i = n;
                } else {
                        do
                                out[o++] = in[i++];
                        while (i < n && in[i] != '/');
                }
        }
#undef AT
#undef IS
        out[o] = '\0';
        return o;
}

long net_url_resolve(const char *base, const char *ref, size_t ref_len, char *out, size_t cap)
{
        char r[AL_FETCH_MAX_URL + 1], merged[2 * AL_FETCH_MAX_URL + 2], path[2 * AL_FETCH_MAX_URL + 2];
        struct parts b, t;
        const struct parts *q;
        long rn = normalize_ref(ref, ref_len, r, sizeof(r));
        size_t mlen;
        int n;

        if (rn < 0)
                return rn;
        if (strlen(base) > AL_FETCH_MAX_URL)
                return -ENAMETOOLONG;
        split(base, strlen(base), &b);
        split(r, (size_t)rn, &t);
        if (!b.has_scheme)
                return -EINVAL;
        q = &t;                           /* whose query the target keeps */
        if (t.has_scheme || t.has_auth) { // NOLINT(bugprone-branch-clone): RFC 3986 5.2.2's cases, in its order
                memcpy(merged, t.path, t.path_len);
                mlen = t.path_len;
        } else if (t.path_len == 0) {
                memcpy(merged, b.path, b.path_len);
                mlen = b.path_len;
                if (!t.has_query)
                        q = &b;
        } else if (t.path[0] == '/') {
                memcpy(merged, t.path, t.path_len);
                mlen = t.path_len;
        } else { /* merge (5.2.3) */
                size_t keep = b.path_len;
                while (keep > 0 && b.path[keep - 1] != '/')
                        keep--;
                if (b.has_auth && b.path_len == 0) {
                        merged[0] = '/';
                        keep = 1;
                } else {
                        memcpy(merged, b.path, keep);
                }
                memcpy(merged + keep, t.path, t.path_len);
                mlen = keep + t.path_len;
        }
        remove_dots(merged, mlen, path);
        const struct parts *sch = t.has_scheme ? &t : &b, *au = (t.has_scheme || t.has_auth) ? &t : &b;
        n = snprintf(out, cap, "%.*s:%s%.*s%s%s%.*s", (int)sch->scheme_len, sch->scheme, au->has_auth ? "//" : "",
                     (int)au->auth_len, au->auth ? au->auth : "", path, q->has_query ? "?" : "", (int)q->query_len,
                     q->query ? q->query : "");
        if (n < 0 || (size_t)n >= cap)
                return -ENAMETOOLONG;
        for (size_t i = 0; i < sch->scheme_len; i++)
                out[i] = lower(out[i]);
        return n;
}
