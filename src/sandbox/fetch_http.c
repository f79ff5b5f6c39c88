/* SPDX-License-Identifier: Apache-2.0 */
/* One HTTP/1.1 exchange of a fetch, on a connection made in the sandbox's
 * network: the request head and body out (Content-Length when the whole body
 * is known, chunked otherwise, "Connection: close" always), the response read
 * with http-parser, its head answered to the RPC and its body streamed back
 * in chunks of at most AL_FETCH_CHUNK bytes. Reading stops while the client
 * has more than AL_FETCH_HIGH_WATER queued, so airlockd never holds more
 * than that plus a few chunks per fetch. */
#include <errno.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "egress.h"
#include "fetch_internal.h"
#include "net/cert.h"

#define FETCH_USER_AGENT "airlock-fetch/0.1"
#define FETCH_READ_HIGH (4 * AL_FETCH_CHUNK) /* libevent reads no further ahead of the parser */
#define FETCH_REFUSAL_MAX 1024               /* the proxy's 403 page, kept for its reason */

static void process(struct fetch *f);

/* --- trust: the system store, the egress CA, the operator's upstream CA --- */

static SSL_CTX *client_ctx(struct al_error *err)
{
        static SSL_CTX *ctx;
        const char *ca = egress_ca_cert_path(), *up = egress_upstream_ca_path();

        if (ctx)
                return ctx;
        SSL_CTX *c = net_tls_client_ctx_new(ca && *ca ? ca : NULL, err);
        if (!c)
                return NULL;
        if (up && SSL_CTX_load_verify_locations(c, up, NULL) != 1) {
                ERR_clear_error();
                SSL_CTX_free(c);
                al_error_setx(err, EIO, "cannot load the upstream CA bundle");
                return NULL;
        }
        return ctx = c;
}

/* --- the request ------------------------------------------------------------ */

static bool header_in(const char *name, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(name, list[i]) == 0)
                        return true;
        return false;
}

static bool has_header(json_t *hs, const char *name)
{
        size_t i;
        json_t *h;

        json_array_foreach (hs, i, h)
                if (strcasecmp(json_string_value(json_array_get(h, 0)), name) == 0)
                        return true;
        return false;
}

size_t fetch_body_queued(const struct fetch *f)
{
        return evbuffer_get_length(f->body_q) + (f->bev ? evbuffer_get_length(bufferevent_get_output(f->bev)) : 0);
}

void fetch_http_flush_body(struct fetch *f)
{
        struct evbuffer *o;
        size_t n;

        if (f->dead || !f->bev || !f->head_sent)
                return;
        o = bufferevent_get_output(f->bev);
        n = evbuffer_get_length(f->body_q);
        if (n && f->chunked)
                evbuffer_add_printf(o, "%zx\r\n", n);
        evbuffer_add_buffer(o, f->body_q);
        if (n && f->chunked)
                evbuffer_add(o, "\r\n", 2);
        if (f->chunked && f->body_ended && !f->last_chunk_sent) {
                evbuffer_add(o, "0\r\n\r\n", 5);
                f->last_chunk_sent = true;
        }
}

/* Headers we write ourselves, whatever the client gave. */
static const char *const managed[] = { "host", "content-length", "transfer-encoding", "connection",      "keep-alive",
                                       "te",   "trailer",        "upgrade",           "proxy-connection" };

static void send_head(struct fetch *f)
{
        struct evbuffer *o = bufferevent_get_output(f->bev);
        char host[NET_NAME_MAX + 16];
        size_t i;
        json_t *h;

        net_url_host_header(&f->u, host, sizeof(host));
        evbuffer_add_printf(o, "%s %s HTTP/1.1\r\nHost: %s\r\n", f->method, f->u.target, host);
        json_array_foreach (f->headers, i, h) {
                const char *name = json_string_value(json_array_get(h, 0));
                if (!header_in(name, managed, sizeof(managed) / sizeof(managed[0])))
                        evbuffer_add_printf(o, "%s: %s\r\n", name, json_string_value(json_array_get(h, 1)));
        }
        if (!has_header(f->headers, "accept"))
                evbuffer_add_printf(o, "accept: */*\r\n");
        if (!has_header(f->headers, "user-agent"))
                evbuffer_add_printf(o, "user-agent: %s\r\n", FETCH_USER_AGENT);
        /* the whole body known by now: its length; else it goes chunked as it comes */
        f->chunked = f->body_sid >= 0 && !f->body_ended;
        if (f->chunked)
                evbuffer_add_printf(o, "transfer-encoding: chunked\r\n");
        else if (f->body_sid >= 0)
                evbuffer_add_printf(o, "content-length: %zu\r\n", evbuffer_get_length(f->body_q));
        else if (strcmp(f->method, "POST") == 0 || strcmp(f->method, "PUT") == 0)
                evbuffer_add_printf(o, "content-length: 0\r\n");
        evbuffer_add_printf(o, "connection: close\r\n\r\n");
        f->head_sent = true;
        f->state = FS_HEAD;
        fetch_http_flush_body(f);
}

/* --- the response head -------------------------------------------------------- */

/* Header bytes are Latin-1 to WHATWG Headers; JSON wants UTF-8. */
static json_t *json_latin1(const char *p, size_t n)
{
        char *s = malloc(2 * n + 1);
        size_t o = 0;
        json_t *j;

        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];
                if (c < 0x80) {
                        s[o++] = (char)c;
                } else {
                        s[o++] = (char)(0xc0 | (c >> 6));
                        s[o++] = (char)(0x80 | (c & 0x3f));
                }
        }
        j = json_stringn(s, o);
        free(s);
        return j;
}

static int head_grow(struct fetch *f, size_t n)
{
        f->head_bytes += n;
        if (f->head_bytes <= AL_FETCH_MAX_HEAD)
                return 0;
        snprintf(f->perr, sizeof(f->perr), "response head larger than %u bytes", AL_FETCH_MAX_HEAD);
        return -1;
}

static int on_status(http_parser *hp, const char *at, size_t n)
{
        struct fetch *f = hp->data;
        size_t have = strlen(f->status_text);

        if (head_grow(f, n) < 0)
                return -1;
        if (n > sizeof(f->status_text) - 1 - have) /* longer reason phrases are cut */
                n = sizeof(f->status_text) - 1 - have;
        memcpy(f->status_text + have, at, n);
        f->status_text[have + n] = '\0';
        return 0;
}

/* Hop-by-hop: they describe our connection, not the answer the client sees. */
static const char *const hop[] = { "connection", "keep-alive", "transfer-encoding" };

static int header_done(struct fetch *f)
{
        char *name = (char *)al_buf_head(&f->field);
        const char *val = (const char *)al_buf_head(&f->value);
        size_t nl = al_buf_size(&f->field), vl = al_buf_size(&f->value);
        char lname[32];

        if (++f->n_headers > AL_FETCH_MAX_HEADERS) {
                snprintf(f->perr, sizeof(f->perr), "more than %d response headers", AL_FETCH_MAX_HEADERS);
                return -1;
        }
        for (size_t i = 0; i < nl; i++)
                if (name[i] >= 'A' && name[i] <= 'Z')
                        name[i] = (char)(name[i] - 'A' + 'a');
        while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
                vl--;
        /* the names we act on are short; a longer one compares as "" */
        snprintf(lname, sizeof(lname), "%.*s", (int)(nl < sizeof(lname) ? nl : 0), name);
        if (strcmp(lname, "location") == 0) {
                f->location_bad = vl > AL_FETCH_MAX_URL;
                f->location_len = f->location_bad ? 0 : vl;
                memcpy(f->location, val, f->location_len);
        } else if (strcmp(lname, "x-airlock-refused") == 0 && vl == 1 && val[0] == '1') {
                f->refusal_page = true;
        }
        if (!header_in(lname, hop, sizeof(hop) / sizeof(hop[0])))
                json_array_append_new(f->resp_headers, json_pack("[o,o]", json_latin1(name, nl), json_latin1(val, vl)));
        al_buf_consume(&f->field, nl);
        al_buf_consume(&f->value, al_buf_size(&f->value));
        return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t n)
{
        struct fetch *f = hp->data;

        if (f->in_value && header_done(f) < 0)
                return -1;
        f->in_value = false;
        return head_grow(f, n + 4) < 0 || al_buf_append(&f->field, at, n) < 0 ? -1 : 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t n)
{
        struct fetch *f = hp->data;

        f->in_value = true;
        return head_grow(f, n) < 0 || al_buf_append(&f->value, at, n) < 0 ? -1 : 0;
}

static void head_forget(struct fetch *f)
{
        json_array_clear(f->resp_headers);
        f->status_text[0] = '\0';
        f->location_len = 0;
        f->location_bad = false;
        f->refusal_page = false;
        f->n_headers = 0;
}

static int on_headers_complete(http_parser *hp)
{
        struct fetch *f = hp->data;
        int st = hp->status_code;

        if (f->in_value && header_done(f) < 0)
                return -1;
        f->in_value = false;
        if (st >= 100 && st < 200 && st != 101) { /* interim: the real answer follows */
                head_forget(f);
                return 0;
        }
        if (st < 200 || st > 599) {
                snprintf(f->perr, sizeof(f->perr), "invalid HTTP status %d", st);
                return -1;
        }
        f->status = st;
        f->head_done = true;
        /* the proxy refuses plain HTTP with a 403 page; inside TLS it never does */
        f->refusal_page = f->refusal_page && st == 403 && !f->u.https;
        f->skip_body = strcmp(f->method, "HEAD") == 0;
        http_parser_pause(hp, 1);
        return f->skip_body || st == 204 || st == 205 || st == 304 ? 1 : 0;
}

static int on_body(http_parser *hp, const char *at, size_t n)
{
        struct fetch *f = hp->data;

        if (f->refusal_page && evbuffer_get_length(f->out) + n > FETCH_REFUSAL_MAX)
                return 0;
        return evbuffer_add(f->out, at, n) < 0 ? -1 : 0;
}

static int on_message_complete(http_parser *hp)
{
        struct fetch *f = hp->data;

        if (!f->head_done) /* an interim answer ended */
                return 0;
        f->msg_done = true;
        http_parser_pause(hp, 1);
        return 0;
}

static const http_parser_settings settings = {
        .on_status = on_status,
        .on_header_field = on_header_field,
        .on_header_value = on_header_value,
        .on_headers_complete = on_headers_complete,
        .on_body = on_body,
        .on_message_complete = on_message_complete,
};

/* --- the answer ------------------------------------------------------------------ */

static bool is_redirect(int st)
{
        return st == 301 || st == 302 || st == 303 || st == 307 || st == 308;
}

/* The RPC's result; for a body, its stream starts after it. -1: stop. */
static int answer(struct fetch *f)
{
        bool no_body = f->skip_body || f->status == 204 || f->status == 205 || f->status == 304;
        json_t *id = f->rpc_id;

        f->rpc_id = NULL;
        if (!no_body)
                f->out_sid = sbx_stream_id_new();
        fetch_send(f, sbx_rpc_result(id, json_pack("{s:{s:i,s:o,s:O,s:o}}", "ok", "status", f->status, "statusText",
                                                   json_latin1(f->status_text, strlen(f->status_text)), "headers",
                                                   f->resp_headers, "bodyStreamId",
                                                   no_body ? json_null() : json_integer(f->out_sid))));
        json_decref(id);
        if (f->dead)
                return -1;
        if (no_body) {
                fetch_end(f);
                return -1;
        }
        f->state = FS_BODY;
        fetch_notify(f, "$sandbox.stream.start", json_pack("{s:I}", "streamId", (json_int_t)f->out_sid));
        return f->dead ? -1 : 0;
}

static int on_head(struct fetch *f)
{
        if (f->refusal_page)
                return 0; /* its body says why; read it */
        if (f->follow && is_redirect(f->status) && f->location_bad) {
                fetch_fail(f, "redirect location longer than %u bytes", AL_FETCH_MAX_URL);
                return -1;
        }
        if (f->follow && is_redirect(f->status) && f->location_len &&
            fetch_redirect(f, f->location, f->location_len) == 0)
                return -1; /* followed, or failed */
        return answer(f);
}

/* Send what was parsed of the body; pause reading if the client is behind. */
static int send_body(struct fetch *f)
{
        while (f->out_sid && evbuffer_get_length(f->out)) {
                size_t n = evbuffer_get_length(f->out), bn;
                if (n > AL_FETCH_CHUNK)
                        n = AL_FETCH_CHUNK;
                char *b64 = al_b64_encode(evbuffer_pullup(f->out, (ssize_t)n), n, &bn);
                evbuffer_drain(f->out, n);
                if (!b64) {
                        fetch_fail(f, "out of memory");
                        return -1;
                }
                fetch_notify(f, "$sandbox.stream.enqueue",
                             json_pack("{s:I,s:s%}", "streamId", (json_int_t)f->out_sid, "data", b64, bn));
                free(b64);
                if (f->dead)
                        return -1;
        }
        if (f->bev && f->peer && f->peer->backlog(f->peer) > AL_FETCH_HIGH_WATER) {
                f->paused = true;
                bufferevent_disable(f->bev, EV_READ);
        }
        return 0;
}

static void refusal(struct fetch *f)
{
        char body[FETCH_REFUSAL_MAX + 1];
        int n = evbuffer_remove(f->out, body, FETCH_REFUSAL_MAX);
        const char *reason;

        body[n > 0 ? n : 0] = '\0';
        for (size_t l = strlen(body); l && (body[l - 1] == '\n' || body[l - 1] == '\r'); l--)
                body[l - 1] = '\0';
        reason = strstr(body, " refused: ");
        fetch_fail_refused(f, reason ? reason + 10 : body);
}

static void complete(struct fetch *f)
{
        if (f->refusal_page) {
                refusal(f);
                return;
        }
        if (send_body(f) < 0)
                return;
        if (f->out_sid) {
                int64_t sid = f->out_sid;
                f->out_sid = 0;
                fetch_notify(f, "$sandbox.stream.end", json_pack("{s:I}", "streamId", (json_int_t)sid));
        }
        fetch_end(f);
}

/* The parser stopped itself: the head is complete, or the whole message. -1: stop. */
static int after_pause(struct fetch *f)
{
        http_parser_pause(&f->hp, 0);
        if (f->head_done && !f->head_handled) {
                f->head_handled = true;
                if (on_head(f) < 0)
                        return -1;
        }
        if (f->msg_done) {
                complete(f);
                return -1;
        }
        return 0;
}

static void parse_error(struct fetch *f, enum http_errno e)
{
        if (f->perr[0])
                fetch_fail(f, "%s", f->perr);
        else if (f->state == FS_BODY)
                fetch_fail(f, "error reading a response body: %s", http_errno_description(e));
        else
                fetch_fail(f, "invalid HTTP response: %s", http_errno_description(e));
}

static void at_eof(struct fetch *f)
{
        if (!f->got_bytes) {
                fetch_reset_before_answer(f);
                return;
        }
        http_parser_execute(&f->hp, &settings, NULL, 0); /* a body that ends with the connection */
        if (f->dead)
                return;
        if (HTTP_PARSER_ERRNO(&f->hp) == HPE_PAUSED && after_pause(f) < 0)
                return;
        fetch_fail(f, f->head_handled ? "connection closed before the response body was complete"
                                      : "connection closed before a complete response head");
}

static void process(struct fetch *f)
{
        while (!f->dead && f->bev && !f->paused) {
                struct evbuffer *in = bufferevent_get_input(f->bev);
                size_t len = evbuffer_get_length(in);
                if (len == 0)
                        break;
                f->got_bytes = true;
                if (len > AL_FETCH_CHUNK)
                        len = AL_FETCH_CHUNK;
                const char *p = (const char *)evbuffer_pullup(in, (ssize_t)len);
                size_t used = http_parser_execute(&f->hp, &settings, p, len);
                enum http_errno e = HTTP_PARSER_ERRNO(&f->hp);
                evbuffer_drain(in, used);
                if (e == HPE_PAUSED) {
                        if (after_pause(f) < 0)
                                return;
                        continue;
                }
                if (e != HPE_OK) {
                        parse_error(f, e);
                        return;
                }
                if (send_body(f) < 0)
                        return;
        }
        if (!f->dead && f->bev && !f->paused && f->eof)
                at_eof(f);
}

void fetch_http_resume(struct fetch *f)
{
        if (!f->paused || !f->bev)
                return;
        f->paused = false;
        if (!f->eof)
                bufferevent_enable(f->bev, EV_READ);
        process(f);
}

/* --- the connection ---------------------------------------------------------------- */

static void on_read(struct bufferevent *bev, void *arg)
{
        struct fetch *f = arg;

        if (!f->dead)
                process(f);
}

static void on_error(struct fetch *f)
{
        int se = EVUTIL_SOCKET_ERROR();
        SSL *ssl = bufferevent_openssl_get_ssl(f->bev);
        unsigned long e = ssl ? bufferevent_get_openssl_error(f->bev) : 0;
        long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
        char why[256];

        while (ssl && bufferevent_get_openssl_error(f->bev))
                ;
        ERR_clear_error();
        if (vr != X509_V_OK) {
                fetch_fail(f, "invalid peer certificate: %s", X509_verify_cert_error_string(vr));
                return;
        }
        /* a reset, or TLS cut short, before any answer: the door may have refused */
        if (!f->got_bytes && (!e || ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)) {
                fetch_reset_before_answer(f);
                return;
        }
        if (e)
                ERR_error_string_n(e, why, sizeof(why));
        else
                snprintf(why, sizeof(why), "%s", se ? strerror(se) : "connection closed");
        if (f->state == FS_BODY)
                fetch_fail(f, "error reading a response body: %s", why);
        else
                fetch_fail(f, "%s: %s", ssl ? "TLS error" : "connection error", why);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
        struct fetch *f = arg;

        if (f->dead)
                return;
        if (what & BEV_EVENT_CONNECTED) { /* TLS: the handshake is over */
                send_head(f);
        } else if (what & BEV_EVENT_EOF) {
                f->eof = true;
                process(f);
        } else if (what & BEV_EVENT_ERROR) {
                on_error(f);
        }
}

void fetch_http_open(struct fetch *f)
{
        struct event_base *base = sbx_base(f->sbx);
        int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
        struct al_error err = { 0 };

        f->state = FS_CONNECT;
        if (f->u.https) {
                SSL_CTX *ctx = client_ctx(&err);
                SSL *ssl = ctx ? SSL_new(ctx) : NULL;
                if (!ssl) {
                        fetch_fail(f, "TLS: %s", ctx ? "out of memory" : err.msg);
                        return;
                }
                if (net_tls_client_set_host(ssl, f->u.host) < 0) {
                        SSL_free(ssl);
                        fetch_fail(f, "TLS: invalid server name");
                        return;
                }
                f->bev = bufferevent_openssl_socket_new(base, f->fd, ssl, BUFFEREVENT_SSL_CONNECTING, opts);
                if (f->bev)
                        bufferevent_openssl_set_allow_dirty_shutdown(f->bev, 1);
        } else {
                f->bev = bufferevent_socket_new(base, f->fd, opts);
        }
        if (!f->bev) {
                fetch_fail(f, "out of memory");
                return;
        }
        f->fd = -1; /* the bufferevent's now */
        bufferevent_setcb(f->bev, on_read, NULL, on_event, f);
        bufferevent_setwatermark(f->bev, EV_READ, 0, FETCH_READ_HIGH);
        bufferevent_enable(f->bev, EV_READ | EV_WRITE);
        if (!f->u.https)
                send_head(f);
}

/* --- state ------------------------------------------------------------------------- */

void fetch_http_reset(struct fetch *f)
{
        http_parser_init(&f->hp, HTTP_RESPONSE);
        f->hp.data = f;
        head_forget(f);
        al_buf_free(&f->field);
        al_buf_free(&f->value);
        evbuffer_drain(f->out, evbuffer_get_length(f->out));
        f->got_bytes = f->eof = f->paused = false;
        f->head_done = f->head_handled = f->msg_done = f->in_value = f->skip_body = false;
        f->head_sent = f->chunked = f->last_chunk_sent = false;
        f->status = 0;
        f->head_bytes = 0;
        f->perr[0] = '\0';
}

int fetch_http_init(struct fetch *f)
{
        f->out = evbuffer_new();
        f->resp_headers = json_array();
        al_buf_init(&f->field, AL_FETCH_MAX_HEAD);
        al_buf_init(&f->value, AL_FETCH_MAX_HEAD);
        if (!f->out || !f->resp_headers)
                return -ENOMEM;
        fetch_http_reset(f);
        return 0;
}

void fetch_http_release(struct fetch *f)
{
        if (f->out)
                evbuffer_free(f->out);
        if (f->body_q)
                evbuffer_free(f->body_q);
        f->out = f->body_q = NULL;
        json_decref(f->resp_headers);
        f->resp_headers = NULL;
        al_buf_free(&f->field);
        al_buf_free(&f->value);
}
