/* SPDX-License-Identifier: Apache-2.0 */
/* The rewriter and the redactor borrow the caller's secrets; each owns only
 * its buffers. The redactor's window may hold the start of a value between
 * feeds, so it is wiped when freed or flushed. */
#include <errno.h>
#include <http_parser.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/buf.h"
#include "rewrite.h"

#define REDACT_CHUNK (16u * 1024u) /* redactor window beyond what it holds back */

/* ---- secrets ---- */

static bool placeholder_valid(const char *p)
{
        if (strnlen(p, NET_PLACEHOLDER_LEN + 1) != NET_PLACEHOLDER_LEN ||
            memcmp(p, NET_PLACEHOLDER_PREFIX, NET_PLACEHOLDER_PREFIX_LEN) != 0)
                return false;
        for (size_t i = NET_PLACEHOLDER_PREFIX_LEN; i < NET_PLACEHOLDER_LEN; i++)
                if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
                        return false;
        return true;
}

/* Fit for a header value: no control characters but tab. 0 or why not. */
static const char *value_problem(const char *v)
{
        size_t len = v ? strnlen(v, NET_SECRET_MAX_VALUE + 1) : 0;

        if (len == 0)
                return "is empty";
        if (len > NET_SECRET_MAX_VALUE)
                return "is longer than 16 KiB";
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)v[i];
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return "holds a control character";
        }
        return NULL;
}
_Static_assert(NET_SECRET_MAX_VALUE == 16u * 1024u, "the message above names the cap");

int net_secret_placeholder_new(char out[NET_PLACEHOLDER_LEN + 1])
{
        static const char hex[] = "0123456789abcdef";
        unsigned char b[16];

        if (RAND_bytes(b, sizeof(b)) != 1)
                return -EIO;
        memcpy(out, NET_PLACEHOLDER_PREFIX, NET_PLACEHOLDER_PREFIX_LEN);
        for (size_t i = 0; i < sizeof(b); i++) {
                out[NET_PLACEHOLDER_PREFIX_LEN + 2 * i] = hex[b[i] >> 4];
                out[NET_PLACEHOLDER_PREFIX_LEN + 2 * i + 1] = hex[b[i] & 15];
        }
        out[NET_PLACEHOLDER_LEN] = '\0';
        return 0;
}

int net_secret_set(struct net_secret *s, const char *placeholder, const char *value, struct al_error *err)
{
        const char *why;

        if (!placeholder || !placeholder_valid(placeholder))
                return al_error_setx(err, EINVAL,
                                     "a placeholder is " NET_PLACEHOLDER_PREFIX " and 32 lowercase hex digits");
        why = value_problem(value);
        if (why)
                return al_error_setx(err, EINVAL, "the value of %s %s", placeholder, why);
        char *v = strdup(value);
        if (!v)
                return al_error_setx(err, ENOMEM, "secret value");
        memcpy(s->placeholder, placeholder, NET_PLACEHOLDER_LEN + 1);
        s->value = v;
        return 0;
}

void net_secret_clear(struct net_secret *s)
{
        if (s->value) {
                OPENSSL_cleanse(s->value, strlen(s->value));
                free(s->value);
        }
        memset(s, 0, sizeof(*s));
}

/* ---- request rewriter ---- */

enum rw_state {
        RW_HEAD,
        RW_BODY,
        RW_RAW
};

struct rw_secret {
        const char *placeholder;
        const char *value;
        size_t len;
};

struct net_req_rewriter {
        http_parser parser;
        enum rw_state state;
        net_emit_fn emit;
        void *ctx;
        struct rw_secret *secrets; /* sorted by placeholder */
        size_t n;
        struct al_buf head; /* the current head, as the sandbox sent it */
        bool line_content;  /* the head's current line has more than a CR */
        bool headers_done, message_done;
        int error; /* sticky */
        char why[160];
};

/* Output of a head rewrite: counted first, then emitted. */
struct sink {
        net_emit_fn emit; /* NULL: count only */
        void *ctx;
        size_t len;
};

static int put(struct sink *s, const void *p, size_t n)
{
        s->len += n;
        if (s->emit && n)
                return s->emit(s->ctx, p, n);
        return 0;
}

static int on_headers_complete(http_parser *p)
{
        struct net_req_rewriter *r = p->data;

        r->headers_done = true;
        if (r->state == RW_HEAD)
                http_parser_pause(p, 1); /* head_feed() checks where this happened */
        return 0;
}

static int on_message_complete(http_parser *p)
{
        ((struct net_req_rewriter *)p->data)->message_done = true;
        http_parser_pause(p, 1); /* execute() returns right after this message */
        return 0;
}

static const http_parser_settings rw_settings = {
        .on_headers_complete = on_headers_complete,
        .on_message_complete = on_message_complete,
};

__attribute__((format(printf, 3, 4))) static int rw_fail(struct net_req_rewriter *r, int code, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(r->why, sizeof(r->why), fmt, ap);
        va_end(ap);
        r->error = -code;
        return -code;
}

static int cmp_placeholder(const void *a, const void *b)
{
        return memcmp(((const struct rw_secret *)a)->placeholder, ((const struct rw_secret *)b)->placeholder,
                      NET_PLACEHOLDER_LEN);
}

static void rw_reset_message(struct net_req_rewriter *r)
{
        http_parser_init(&r->parser, HTTP_REQUEST);
        r->parser.data = r;
        al_buf_consume(&r->head, al_buf_size(&r->head));
        r->line_content = r->headers_done = r->message_done = false;
        r->state = RW_HEAD;
}

struct net_req_rewriter *net_req_rewriter_new(const struct net_secret *secrets, size_t n, net_emit_fn emit, void *ctx)
{
        struct net_req_rewriter *r = calloc(1, sizeof(*r));

        if (!r)
                return NULL;
        r->secrets = calloc(n ? n : 1, sizeof(*r->secrets));
        if (!r->secrets) {
                free(r);
                return NULL;
        }
        /* Only well-formed secrets take part: a value with a line break
         * would split a header in two. */
        for (size_t i = 0; i < n; i++) {
                if (!placeholder_valid(secrets[i].placeholder) || value_problem(secrets[i].value))
                        continue;
                struct rw_secret *s = &r->secrets[r->n++];
                s->placeholder = secrets[i].placeholder;
                s->value = secrets[i].value;
                s->len = strlen(s->value);
        }
        qsort(r->secrets, r->n, sizeof(*r->secrets), cmp_placeholder);
        r->emit = emit;
        r->ctx = ctx;
        al_buf_init(&r->head, NET_REQ_MAX_HEAD);
        rw_reset_message(r);
        return r;
}

void net_req_rewriter_free(struct net_req_rewriter *r)
{
        if (!r)
                return;
        al_buf_free(&r->head);
        free(r->secrets);
        free(r);
}

const char *net_req_rewriter_error(const struct net_req_rewriter *r)
{
        return r->error ? r->why : "";
}

/* Copy [p, end) to s with each known placeholder replaced by its value. */
static int subst(struct net_req_rewriter *r, struct sink *s, const char *p, const char *end)
{
        while (p < end) {
                const char *hit = memmem(p, (size_t)(end - p), NET_PLACEHOLDER_PREFIX, NET_PLACEHOLDER_PREFIX_LEN);
                const struct rw_secret key = { .placeholder = hit }, *sec = NULL;
                int ret;

                if (hit && end - hit >= NET_PLACEHOLDER_LEN)
                        sec = bsearch(&key, r->secrets, r->n, sizeof(*r->secrets), cmp_placeholder);
                /* the prefix has no border: the next one starts after this one */
                const char *upto = !hit ? end : sec ? hit : hit + NET_PLACEHOLDER_PREFIX_LEN;
                ret = put(s, p, (size_t)(upto - p));
                if (ret < 0)
                        return ret;
                p = upto;
                if (!sec)
                        continue;
                ret = put(s, sec->value, sec->len);
                if (ret < 0)
                        return ret;
                p += NET_PLACEHOLDER_LEN;
        }
        return 0;
}

static bool header_is(const char *name, size_t len, const char *want)
{
        return len == strlen(want) && strncasecmp(name, want, len) == 0;
}

static bool header_dropped(const char *name, size_t len)
{
        /* Compressed responses could not be redacted: no content codings,
         * and no transfer codings beyond chunked (TE). A response in pieces
         * (Range) would bring a value back unredacted, piece by piece. */
        return header_is(name, len, "accept-encoding") || header_is(name, len, "te") || header_is(name, len, "range") ||
               header_is(name, len, "if-range");
}

/* Headers that decide where a request goes and where it ends: each at most
 * once, and never both lengths (SEC-39: smuggling). */
struct framing {
        unsigned host, content_length, transfer_encoding;
};

static int framing_count(struct net_req_rewriter *r, struct framing *fr, const char *name, size_t len)
{
        if (header_is(name, len, "host"))
                fr->host++;
        else if (header_is(name, len, "content-length"))
                fr->content_length++;
        else if (header_is(name, len, "transfer-encoding"))
                fr->transfer_encoding++;
        if (fr->host > 1 || fr->content_length > 1 || fr->transfer_encoding > 1 ||
            (fr->content_length && fr->transfer_encoding))
                return rw_fail(r, EBADMSG,
                               "ambiguous request framing (repeated Host, Content-Length "
                               "or Transfer-Encoding, or both lengths)");
        return 0;
}

/* RFC 9110 token. http-parser as built by distributions lets a space into a
 * field name; "Accept-Encoding : gzip" must not slip past header_dropped()
 * to a lenient upstream. */
static bool token_valid(const char *p, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)p[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      (c && strchr("!#$%&'*+-.^_`|~", c))))
                        return false;
        }
        return len > 0;
}

/* The head, line by line (http-parser has already checked its syntax):
 * placeholders replaced in header values only (not the request line),
 * Accept-Encoding (and its folded continuation lines) dropped. */
static int head_rewrite(struct net_req_rewriter *r, struct sink *s)
{
        const char *p = (const char *)al_buf_head(&r->head), *end = p + al_buf_size(&r->head);
        struct framing fr = { 0 };
        bool first = true, dropping = false;
        int ret = 0;

        while (ret >= 0 && p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *eol = nl ? nl + 1 : end;
                const char *colon;

                if (first) { /* the request line keeps its placeholders (SEC-43) */
                        ret = put(s, p, (size_t)(eol - p));
                        first = false;
                } else if (*p == '\r' || *p == '\n') { /* the blank line that ends the head */
                        ret = put(s, p, (size_t)(eol - p));
                } else if (*p == ' ' || *p == '\t') { /* obs-fold: ambiguous framing (SEC-39) */
                        return rw_fail(r, EBADMSG, "a folded header line (obs-fold)");
                } else if ((colon = memchr(p, ':', (size_t)(eol - p))) != NULL) {
                        if (!token_valid(p, (size_t)(colon - p)))
                                return rw_fail(r, EBADMSG, "a header name is not a token");
                        ret = framing_count(r, &fr, p, (size_t)(colon - p));
                        if (ret < 0)
                                return ret;
                        dropping = header_dropped(p, (size_t)(colon - p));
                        if (!dropping)
                                ret = put(s, p, (size_t)(colon + 1 - p));
                        if (!dropping && ret >= 0)
                                ret = subst(r, s, colon + 1, eol);
                } else {
                        return rw_fail(r, EBADMSG, "a header line has no colon");
                }
                p = eol;
        }
        return ret;
}

/* After a message: an upgraded connection carries another protocol from here. */
static void rw_message_end(struct net_req_rewriter *r)
{
        if (r->parser.upgrade) {
                r->state = RW_RAW;
                return;
        }
        rw_reset_message(r);
}

static int head_done(struct net_req_rewriter *r)
{
        struct sink count = { 0 }, out = { .emit = r->emit, .ctx = r->ctx };
        int ret;

        if (r->parser.method == HTTP_CONNECT)
                return rw_fail(r, EPROTONOSUPPORT, "a CONNECT request cannot carry placeholders");
        if (r->parser.http_major != 1)
                return rw_fail(r, EPROTONOSUPPORT, "HTTP/%u.%u is not HTTP/1.x", r->parser.http_major,
                               r->parser.http_minor);
        ret = head_rewrite(r, &count);
        if (ret < 0)
                return ret;
        if (count.len > NET_REQ_MAX_HEAD_OUT)
                return rw_fail(r, E2BIG, "the request head with its values is larger than %u bytes",
                               NET_REQ_MAX_HEAD_OUT);
        ret = head_rewrite(r, &out);
        if (ret < 0)
                return ret;
        al_buf_consume(&r->head, al_buf_size(&r->head));
        if (r->message_done)
                rw_message_end(r);
        else
                r->state = RW_BODY;
        return 0;
}

static bool starts_h2(const struct al_buf *b)
{
        return al_buf_size(b) >= 3 && memcmp(al_buf_head(b), "PRI", 3) == 0;
}

/* Buffer head bytes up to the blank line that ends the head; http-parser
 * checks them as they come, and must agree on where the head ends. */
static int head_feed(struct net_req_rewriter *r, const char *p, size_t n, size_t *used)
{
        size_t i = 0, end = SIZE_MAX, seg, done;
        enum http_errno e;

        if (al_buf_size(&r->head) == 0) /* blank lines between messages mean nothing */
                while (i < n && (p[i] == '\r' || p[i] == '\n'))
                        i++;
        *used = i;
        if (i == n)
                return 0;
        for (size_t j = i; j < n && end == SIZE_MAX; j++) {
                if (p[j] == '\n' && !r->line_content)
                        end = j;
                else if (p[j] == '\n')
                        r->line_content = false;
                else if (p[j] != '\r')
                        r->line_content = true;
        }
        seg = (end == SIZE_MAX ? n : end + 1) - i;
        done = http_parser_execute(&r->parser, &rw_settings, p + i, seg);
        e = HTTP_PARSER_ERRNO(&r->parser);
        /* Paused on the byte that ends the head for http-parser (left
         * unconsumed): only the segment's last byte will do. A lenient parser
         * ending it earlier (say at "\r#") would take head bytes for body. */
        if (e == HPE_PAUSED && r->headers_done && !r->message_done && end != SIZE_MAX && done + 1 == seg) {
                http_parser_pause(&r->parser, 0);
                done += http_parser_execute(&r->parser, &rw_settings, p + i + done, 1);
                e = HTTP_PARSER_ERRNO(&r->parser);
        }
        if (e != HPE_OK && e != HPE_PAUSED) {
                (void)al_buf_append(&r->head, p + i, seg < 3 ? seg : 3);
                if (starts_h2(&r->head))
                        return rw_fail(r, EPROTONOSUPPORT, "HTTP/2 cannot carry placeholders here");
                if (e == HPE_HEADER_OVERFLOW)
                        return rw_fail(r, E2BIG, "request head larger than %u bytes", NET_REQ_MAX_HEAD);
                return rw_fail(r, EBADMSG, "malformed request head: %s", http_errno_description(e));
        }
        if (done != seg || r->headers_done != (end != SIZE_MAX))
                return rw_fail(r, EBADMSG, "request head ends where HTTP/1.1 says it does not");
        if (al_buf_append(&r->head, p + i, seg) < 0)
                return rw_fail(r, E2BIG, "request head larger than %u bytes", NET_REQ_MAX_HEAD);
        *used = i + seg;
        return end == SIZE_MAX ? 0 : head_done(r);
}

/* The body passes as it is; http-parser only finds where it ends. */
static int body_feed(struct net_req_rewriter *r, const char *p, size_t n, size_t *used)
{
        size_t done = http_parser_execute(&r->parser, &rw_settings, p, n);
        enum http_errno e = HTTP_PARSER_ERRNO(&r->parser);
        int ret = done ? r->emit(r->ctx, p, done) : 0;

        if (ret < 0)
                return ret;
        *used = done;
        if (e == HPE_PAUSED) {
                rw_message_end(r);
                return 0;
        }
        if (e != HPE_OK)
                return rw_fail(r, EBADMSG, "malformed request body: %s", http_errno_description(e));
        if (done != n)
                return rw_fail(r, EBADMSG, "request body framing stalled");
        return 0;
}

int net_req_rewriter_feed(struct net_req_rewriter *r, const void *data, size_t n)
{
        const char *p = data;

        if (r->error)
                return r->error;
        while (n > 0) {
                size_t used = n;
                int ret;

                if (r->state == RW_HEAD)
                        ret = head_feed(r, p, n, &used);
                else if (r->state == RW_BODY)
                        ret = body_feed(r, p, n, &used);
                else
                        ret = r->emit(r->ctx, p, n);
                if (ret < 0) {
                        if (!r->error) { /* emit failed: keep its value */
                                snprintf(r->why, sizeof(r->why), "the output refused bytes");
                                r->error = ret;
                        }
                        return r->error;
                }
                p += used;
                n -= used;
        }
        return 0;
}

/* ---- response redactor ---- */

struct rd_value {
        const unsigned char *p;
        size_t len;
};

struct net_redactor {
        net_emit_fn emit;
        void *ctx;
        struct rd_value *v; /* by first byte, longest first within one */
        size_t n;
        uint32_t first[257]; /* v[first[b] .. first[b + 1]) start with byte b */
        size_t maxlen;
        unsigned char *win; /* bytes held back, then those being decided */
        size_t have, cap;
        size_t star_until; /* window positions below this lie inside an occurrence */
};

static int cmp_value(const void *a, const void *b)
{
        const struct rd_value *x = a, *y = b;

        if (x->p[0] != y->p[0])
                return x->p[0] < y->p[0] ? -1 : 1;
        return x->len > y->len ? -1 : x->len < y->len;
}

struct net_redactor *net_redactor_new(const struct net_secret *secrets, size_t n, net_emit_fn emit, void *ctx)
{
        struct net_redactor *d = calloc(1, sizeof(*d));

        if (!d || n > UINT32_MAX)
                goto fail;
        d->emit = emit;
        d->ctx = ctx;
        d->v = calloc(n ? n : 1, sizeof(*d->v));
        if (!d->v)
                goto fail;
        for (size_t i = 0; i < n; i++) {
                size_t len = secrets[i].value ? strlen(secrets[i].value) : 0;
                if (!len)
                        continue;
                d->v[d->n++] = (struct rd_value){ (const unsigned char *)secrets[i].value, len };
                if (len > d->maxlen)
                        d->maxlen = len;
        }
        qsort(d->v, d->n, sizeof(*d->v), cmp_value);
        for (size_t b = 0, k = 0; b <= 256; b++) {
                while (k < d->n && d->v[k].p[0] < b)
                        k++;
                d->first[b] = (uint32_t)k;
        }
        if (d->maxlen) {
                d->cap = d->maxlen - 1 + REDACT_CHUNK;
                d->win = malloc(d->cap);
                if (!d->win)
                        goto fail;
        }
        return d;
fail:
        net_redactor_free(d);
        return NULL;
}

void net_redactor_free(struct net_redactor *d)
{
        if (!d)
                return;
        if (d->win)
                OPENSSL_cleanse(d->win, d->cap);
        free(d->win);
        free(d->v);
        free(d);
}

/* Decide window positions [0, upto), emit them, keep the rest. Every value
 * that fits in the window is tried at each position: in a feed upto leaves
 * maxlen - 1 bytes, so all fit; in a flush the stream has ended, so one that
 * does not fit cannot occur. */
static int redact_run(struct net_redactor *d, size_t upto)
{
        int ret = 0;

        for (size_t i = 0; i < upto; i++) {
                unsigned char b = d->win[i];
                for (uint32_t k = d->first[b]; k < d->first[b + 1]; k++) {
                        const struct rd_value *v = &d->v[k];
                        if (i + v->len <= d->have && memcmp(d->win + i + 1, v->p + 1, v->len - 1) == 0) {
                                if (i + v->len > d->star_until)
                                        d->star_until = i + v->len;
                                break; /* the longest at i covers the others */
                        }
                }
                if (i < d->star_until) /* positions after i are still intact */
                        d->win[i] = '*';
        }
        if (upto)
                ret = d->emit(d->ctx, d->win, upto);
        memmove(d->win, d->win + upto, d->have - upto);
        d->have -= upto;
        d->star_until = d->star_until > upto ? d->star_until - upto : 0;
        return ret;
}

/* Where the bytes still undecided start: the earliest position whose rest of
 * the window could begin a value. Holding back only those (not always the
 * longest value - 1) lets the end of a response out at once, so that a
 * client waiting on a keep-alive connection is not left waiting. */
static size_t safe_upto(const struct net_redactor *d)
{
        size_t from = d->have > d->maxlen - 1 ? d->have - (d->maxlen - 1) : 0;

        for (size_t i = from; i < d->have; i++) {
                unsigned char b = d->win[i];
                for (uint32_t k = d->first[b]; k < d->first[b + 1]; k++)
                        if (d->v[k].len > d->have - i && memcmp(d->win + i, d->v[k].p, d->have - i) == 0)
                                return i;
        }
        return d->have;
}

int net_redactor_feed(struct net_redactor *d, const void *data, size_t n)
{
        const unsigned char *p = data;

        if (!d->maxlen)
                return n ? d->emit(d->ctx, p, n) : 0;
        while (n > 0) {
                size_t take = d->cap - d->have < n ? d->cap - d->have : n;
                memcpy(d->win + d->have, p, take);
                d->have += take;
                p += take;
                n -= take;
                {
                        int ret = redact_run(d, safe_upto(d));
                        if (ret < 0)
                                return ret;
                }
        }
        return 0;
}

int net_redactor_flush(struct net_redactor *d)
{
        int ret;

        if (!d->maxlen)
                return 0;
        ret = redact_run(d, d->have);
        d->star_until = 0;
        OPENSSL_cleanse(d->win, d->cap);
        return ret;
}
