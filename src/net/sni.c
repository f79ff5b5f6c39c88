/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sni.h"

#define TLS_CONTENT_HANDSHAKE 0x16
#define TLS_RECORD_HEADER 5
#define TLS_HANDSHAKE_HEADER 4
#define TLS_CLIENT_HELLO 1
#define TLS_RANDOM_LEN 32
#define TLS_SESSION_ID_MAX 32
#define TLS_EXT_SERVER_NAME 0
#define TLS_SNI_HOST_NAME 0
#define HTTP_HOST_MAX (NET_NAME_MAX + 8) /* "[v6]" or a name, ":65535" */

/* ---- TLS ClientHello ---- */

static uint32_t get16(const uint8_t *p)
{
        return (uint32_t)p[0] << 8 | p[1];
}

/* Join the handshake fragments of consecutive records into hs until the
 * ClientHello is whole. Returns its length (header included), -EAGAIN, -EINVAL. */
static int hello_gather(const uint8_t *buf, size_t len, uint8_t *hs)
{
        size_t pos = 0, have = 0, want = 0;

        for (;;) {
                if (pos < len && buf[pos] != TLS_CONTENT_HANDSHAKE)
                        return -EINVAL;
                if (len - pos >= 2 && buf[pos + 1] != 3) /* TLS 1.x, SSL 3 */
                        return -EINVAL;
                if (len - pos < TLS_RECORD_HEADER)
                        return -EAGAIN;
                size_t rlen = get16(buf + pos + 3), avail = len - pos - TLS_RECORD_HEADER;
                if (rlen == 0 || rlen > NET_TLS_RECORD_MAX)
                        return -EINVAL;
                if (avail > rlen)
                        avail = rlen;
                if (avail > NET_TLS_HELLO_MAX - have)
                        avail = NET_TLS_HELLO_MAX - have;
                memcpy(hs + have, buf + pos + TLS_RECORD_HEADER, avail);
                have += avail;
                if (have >= 1 && hs[0] != TLS_CLIENT_HELLO)
                        return -EINVAL;
                if (have >= TLS_HANDSHAKE_HEADER && !want) {
                        want = TLS_HANDSHAKE_HEADER + ((size_t)hs[1] << 16 | get16(hs + 2));
                        if (want > NET_TLS_HELLO_MAX)
                                return -EINVAL;
                }
                if (want && have >= want)
                        return (int)want;
                if (len - pos - TLS_RECORD_HEADER < rlen)
                        return -EAGAIN;
                pos += TLS_RECORD_HEADER + rlen;
        }
}

struct cursor {
        const uint8_t *p;
        size_t n;
};

/* Take n bytes off c into *ret (which may be NULL). */
static bool take(struct cursor *c, size_t n, struct cursor *ret)
{
        if (c->n < n)
                return false;
        if (ret)
                *ret = (struct cursor){ c->p, n };
        c->p += n;
        c->n -= n;
        return true;
}

/* A vector with a 1- or 2-byte length prefix. */
static bool take_vec(struct cursor *c, size_t prefix, struct cursor *ret)
{
        size_t n;

        if (c->n < prefix)
                return false;
        n = prefix == 1 ? c->p[0] : get16(c->p);
        take(c, prefix, NULL);
        return take(c, n, ret);
}

/* server_name (RFC 6066 3): one host_name at most, other name types skipped. */
static int sni_ext(struct cursor ext, char *out, size_t cap)
{
        char name[NET_NAME_MAX + 2]; /* a trailing dot, then NUL */
        struct cursor list, entry;
        bool found = false;
        int r = 0;

        if (!take_vec(&ext, 2, &list) || ext.n || !list.n)
                return -EINVAL;
        while (list.n) {
                uint8_t type = list.p[0];
                take(&list, 1, NULL);
                if (!take_vec(&list, 2, &entry))
                        return -EINVAL;
                if (type != TLS_SNI_HOST_NAME)
                        continue;
                if (found || entry.n == 0 || entry.n >= sizeof(name) || memchr(entry.p, '\0', entry.n))
                        return -EINVAL;
                memcpy(name, entry.p, entry.n);
                name[entry.n] = '\0';
                r = net_name_normalize(name, out, cap);
                if (r < 0)
                        return r;
                found = true;
        }
        return r;
}

static int hello_parse(struct cursor c, char *out, size_t cap)
{
        struct cursor v, exts, ext;
        bool seen = false;
        int r = 0;

        if (!take(&c, 2 + TLS_RANDOM_LEN, NULL) || !take_vec(&c, 1, &v) || v.n > TLS_SESSION_ID_MAX)
                return -EINVAL;
        if (!take_vec(&c, 2, &v) || v.n < 2 || v.n % 2) /* cipher suites */
                return -EINVAL;
        if (!take_vec(&c, 1, &v) || v.n < 1) /* compression methods */
                return -EINVAL;
        if (c.n == 0) /* no extensions at all */
                return 0;
        if (!take_vec(&c, 2, &exts) || c.n)
                return -EINVAL;
        while (exts.n) {
                if (exts.n < 2)
                        return -EINVAL;
                uint32_t type = get16(exts.p);
                take(&exts, 2, NULL);
                if (!take_vec(&exts, 2, &ext))
                        return -EINVAL;
                if (type != TLS_EXT_SERVER_NAME)
                        continue;
                if (seen) /* RFC 8446 4.2: one of each type */
                        return -EINVAL;
                seen = true;
                r = sni_ext(ext, out, cap);
                if (r < 0)
                        return r;
        }
        return r;
}

int net_tls_client_hello_sni(const uint8_t *buf, size_t len, char *out, size_t cap)
{
        uint8_t hs[NET_TLS_HELLO_MAX];
        int n;

        if (!buf || !out)
                return -EINVAL;
        n = hello_gather(buf, len, hs);
        if (n < 0)
                return n;
        return hello_parse((struct cursor){ hs + TLS_HANDSHAKE_HEADER, (size_t)n - TLS_HANDSHAKE_HEADER }, out, cap);
}

/* ---- HTTP/1.x request head ---- */

static const char *const methods[] = {
        "GET",  "HEAD", "POST",  "PUT",  "DELETE",   "CONNECT",   "OPTIONS", "TRACE",  "PATCH",
        "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "REPORT",  "SEARCH", "UNLOCK",
};

bool net_looks_like_http(const uint8_t *buf, size_t len)
{
        if (!buf || len == 0)
                return false;
        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
                size_t m = strlen(methods[i]);
                if (len <= m && memcmp(buf, methods[i], len) == 0)
                        return true;
                if (len > m && memcmp(buf, methods[i], m) == 0 && buf[m] == ' ')
                        return true;
        }
        return false;
}

static bool tchar(uint8_t c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* "METHOD SP target SP HTTP/1.x", without its CRLF. */
static int request_line(const uint8_t *p, size_t n, char *method)
{
        size_t m = 0, t;

        while (m < n && tchar(p[m]))
                m++;
        if (m == 0 || m > NET_HTTP_METHOD_MAX || m == n || p[m] != ' ')
                return -EINVAL;
        for (t = m + 1; t < n && p[t] > ' ' && p[t] != 0x7f; t++)
                ;
        if (t == m + 1 || t == n || p[t] != ' ')
                return -EINVAL;
        t++;
        if (n - t != 8 || memcmp(p + t, "HTTP/1.", 7) != 0 || p[t + 7] < '0' || p[t + 7] > '9')
                return -EINVAL;
        memcpy(method, p, m);
        method[m] = '\0';
        return 0;
}

/* Whether the comma-separated list v has token tok (any case). */
static bool has_token(const uint8_t *v, size_t n, const char *tok)
{
        size_t tl = strlen(tok);

        for (size_t i = 0; i < n;) {
                while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
                        i++;
                size_t s = i;
                while (i < n && v[i] != ',')
                        i++;
                size_t e = i;
                while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
                        e--;
                if (e - s == tl && strncasecmp((const char *)v + s, tok, tl) == 0)
                        return true;
        }
        return false;
}

static int host_port(const char *s, size_t n, uint16_t *ret)
{
        unsigned v = 0;

        if (n == 0 || n > 5)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned)(s[i] - '0');
        }
        if (v == 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t)v;
        return 0;
}

/* Host: "name", "name:port", "[v6]", "[v6]:port"; empty is allowed. */
static int host_header(const uint8_t *v, size_t n, struct net_http_head *h)
{
        char buf[HTTP_HOST_MAX + 1], *colon, *host = buf;
        struct in6_addr a6;

        h->host[0] = '\0';
        h->port = 0;
        if (n == 0)
                return 0;
        if (n > HTTP_HOST_MAX || memchr(v, '\0', n))
                return -EINVAL;
        memcpy(buf, v, n);
        buf[n] = '\0';
        if (buf[0] == '[') {
                char *rb = strchr(buf, ']');
                if (!rb || (rb[1] && rb[1] != ':'))
                        return -EINVAL;
                if (rb[1] && host_port(rb + 2, strlen(rb + 2), &h->port) < 0)
                        return -EINVAL;
                *rb = '\0';
                if (inet_pton(AF_INET6, buf + 1, &a6) != 1 || !inet_ntop(AF_INET6, &a6, h->host, sizeof(h->host)))
                        return -EINVAL;
                return 0;
        }
        colon = strchr(buf, ':');
        if (colon) {
                if (host_port(colon + 1, strlen(colon + 1), &h->port) < 0)
                        return -EINVAL;
                *colon = '\0';
        }
        return net_name_normalize(host, h->host, sizeof(h->host)) < 0 ? -EINVAL : 0;
}

/* One header line (no CRLF). */
static int header_line(const uint8_t *p, size_t n, struct net_http_head *h, bool *host_seen, bool *upgrade,
                       bool *connection)
{
        size_t c = 0, vs, ve;

        while (c < n && tchar(p[c]))
                c++;
        if (c == 0 || c == n || p[c] != ':') /* also a folded line, or space before ':' */
                return -EINVAL;
        for (vs = c + 1; vs < n && (p[vs] == ' ' || p[vs] == '\t'); vs++)
                ;
        for (ve = n; ve > vs && (p[ve - 1] == ' ' || p[ve - 1] == '\t'); ve--)
                ;
        for (size_t i = vs; i < ve; i++)
                if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
                        return -EINVAL;
        if (c == 4 && strncasecmp((const char *)p, "host", 4) == 0) {
                if (*host_seen)
                        return -EINVAL;
                *host_seen = true;
                return host_header(p + vs, ve - vs, h);
        }
        if (c == 7 && strncasecmp((const char *)p, "upgrade", 7) == 0)
                *upgrade = *upgrade || has_token(p + vs, ve - vs, "websocket");
        if (c == 10 && strncasecmp((const char *)p, "connection", 10) == 0)
                *connection = *connection || has_token(p + vs, ve - vs, "upgrade");
        return 0;
}

/* Line ends are CRLF and nothing else: a lone CR or LF could be read as a
 * line end by the server and not by us, hiding a header. */
static bool crlf_only(const uint8_t *p, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (p[i] == '\r' && (i + 1 == n || p[i + 1] != '\n'))
                        return false;
                if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
                        return false;
        }
        return true;
}

static int head_parse(const uint8_t *buf, size_t head_len, struct net_http_head *h)
{
        const uint8_t *p = buf, *end = buf + head_len - 2; /* the blank line's CRLF */
        bool host_seen = false, upgrade = false, connection = false;
        const uint8_t *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        int r;

        if (!crlf_only(buf, head_len) || !eol || request_line(p, (size_t)(eol - p), h->method) < 0)
                return -EINVAL;
        for (p = eol + 2; p < end; p = eol + 2) {
                eol = memmem(p, (size_t)(end - p), "\r\n", 2);
                if (!eol) /* cannot be: the head ends in CRLFCRLF; kept for safety */
                        return -EINVAL;
                r = header_line(p, (size_t)(eol - p), h, &host_seen, &upgrade, &connection);
                if (r < 0)
                        return r;
        }
        h->websocket = upgrade && connection;
        h->head_len = head_len;
        return 0;
}

int net_http_request_head(const uint8_t *buf, size_t len, struct net_http_head *ret)
{
        struct net_http_head h;
        size_t scan = len < NET_HTTP_HEAD_MAX ? len : NET_HTTP_HEAD_MAX;
        const uint8_t *end, *eol;
        char method[NET_HTTP_METHOD_MAX + 1];
        int r;

        if (!buf || !ret)
                return -EINVAL;
        end = memmem(buf, scan, "\r\n\r\n", 4);
        if (!end) {
                /* judge the request line as soon as it is whole */
                eol = memmem(buf, scan, "\r\n", 2);
                if (eol &&
                    (!crlf_only(buf, (size_t)(eol - buf) + 2) || request_line(buf, (size_t)(eol - buf), method) < 0))
                        return -EINVAL;
                return len >= NET_HTTP_HEAD_MAX ? -E2BIG : -EAGAIN;
        }
        memset(&h, 0, sizeof(h));
        r = head_parse(buf, (size_t)(end - buf) + 4, &h);
        if (r < 0)
                return r;
        *ret = h;
        return 0;
}
