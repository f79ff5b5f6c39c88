/* SPDX-License-Identifier: Apache-2.0 */
/* fetch: one HTTP/1.1 exchange per hop, from a socket inside the sandbox's
 * network namespace. The request and response halves live in fetch_http.c;
 * this file owns the fetch's life: the RPC, the name lookup, the connection,
 * redirects, the hooks live.c calls, and the errors the SDK sees.
 *
 * Ownership: a fetch is freed only from its own zero-delay event, never
 * under a callback that may still be on the stack; fetch_end() marks it dead
 * and stops its I/O, and every caller checks f->dead after sending to a peer
 * (a send may make the server drop the peer, which ends its fetches). */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/b64.h"
#include "egress.h"
#include "deno.h"
#include "fetch_internal.h"
#include "net/dns.h"
#include "net/dns_stub.h"

#define FETCH_DNS_TIMEOUT_S 2
#define FETCH_CONNECT_TIMEOUT_S 10
#define FETCH_VERDICT_WAIT_MS 300 /* after a reset, how long the egress log may take to say why */
#define FETCH_VERDICT_SLACK_MS 50 /* a proxy record this much older than our connect is not ours */

static struct fetch *fetches;

static int64_t now_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* --- talking to the client ------------------------------------------------ */

void fetch_send(struct fetch *f, json_t *msg)
{
        if (f->peer && !f->dead)
                f->peer->send(f->peer, msg);
        else
                json_decref(msg);
}

void fetch_notify(struct fetch *f, const char *method, json_t *params)
{
        fetch_send(f, json_pack("{s:s,s:s,s:o}", "jsonrpc", "2.0", "method", method, "params", params));
}

static void reply_error(struct fetch *f, json_t *err)
{
        json_t *id = f->rpc_id;

        f->rpc_id = NULL;
        fetch_send(f, sbx_rpc_result(id, json_pack("{s:o}", "error", err)));
        json_decref(id);
}

static json_t *abort_error(void)
{
        json_t *err = sbx_error_object("DOMException", "The signal has been aborted", NULL);
        json_object_set_new(err, "name", json_string("AbortError"));
        return err;
}

/* --- the end of a fetch ----------------------------------------------------- */

static void body_drop(struct fetch *f)
{
        int64_t sid = f->body_sid;
        bool claimed = f->body_claimed;

        if (sid < 0)
                return;
        f->body_sid = -1;
        f->body_claimed = false;
        if (f->body_q)
                evbuffer_drain(f->body_q, evbuffer_get_length(f->body_q));
        if (claimed && f->sbx) {
                sbx_in_release(f->sbx, f->peer, sid, f);
                /* tell the client to stop pumping a body no one reads */
                fetch_notify(f, "$sandbox.stream.cancel",
                             json_pack("{s:I,s:n}", "streamId", (json_int_t)sid, "reason"));
        }
}

static void net_close(struct fetch *f)
{
        if (f->io_ev) {
                event_free(f->io_ev);
                f->io_ev = NULL;
        }
        if (f->dns_fd >= 0)
                close(f->dns_fd);
        f->dns_fd = -1;
        if (f->fd >= 0)
                close(f->fd);
        f->fd = -1;
        if (f->bev) {
                bufferevent_free(f->bev); /* safe under its own callback: libevent defers it */
                f->bev = NULL;
        }
        if (f->timer)
                evtimer_del(f->timer);
}

static void on_free(evutil_socket_t fd, short what, void *arg)
{
        struct fetch *f = arg;

        for (struct fetch **pp = &fetches; *pp; pp = &(*pp)->next)
                if (*pp == f) {
                        *pp = f->next;
                        break;
                }
        net_close(f);
        if (f->timer)
                event_free(f->timer);
        event_free(f->free_ev);
        json_decref(f->rpc_id);
        json_decref(f->headers);
        fetch_http_release(f);
        free(f);
}

/* Stop everything now, free on the next turn of the loop. */
void fetch_end(struct fetch *f)
{
        struct timeval now = { 0, 0 };

        if (f->dead)
                return;
        body_drop(f);
        net_close(f);
        f->dead = true;
        evtimer_add(f->free_ev, &now);
}

/* The call fails (before its answer) or the body stream ends with an error. */
static void fail_with(struct fetch *f, json_t *err)
{
        if (f->dead) {
                json_decref(err);
                return;
        }
        if (f->rpc_id) {
                reply_error(f, err);
        } else if (f->out_sid) {
                int64_t sid = f->out_sid;
                f->out_sid = 0;
                fetch_notify(f, "$sandbox.stream.error",
                             json_pack("{s:I,s:o}", "streamId", (json_int_t)sid, "error", err));
        } else {
                json_decref(err);
        }
        fetch_end(f);
}

/* A network error, worded as Deno's fetch words them. */
void fetch_fail(struct fetch *f, const char *fmt, ...)
{
        char why[AL_MAX_ERRMSG / 2], msg[AL_MAX_ERRMSG];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        snprintf(msg, sizeof(msg), "error sending request for url (%.200s): %s", f->url, why);
        fail_with(f, sbx_error_object("TypeError", msg, NULL));
}

/* Refused by the door: the egress log or the proxy's 403 said why. */
void fetch_fail_refused(struct fetch *f, const char *reason)
{
        fetch_fail(f, "connection to %s:%u refused by the sandbox's network policy: %s", f->u.host, f->u.port,
                   reason && *reason ? reason : "see the sandbox's egress log");
}

/* --- hooks from live.c ---------------------------------------------------- */

void fetch_abort(struct sbx *s, struct sbx_peer *p, int64_t abort_id)
{
        for (struct fetch *f = fetches; f; f = f->next)
                if (!f->dead && f->sbx == s && f->peer == p && f->abort_id == abort_id)
                        fail_with(f, abort_error());
}

void fetch_stream_cancel(struct sbx *s, struct sbx_peer *p, int64_t stream_id)
{
        for (struct fetch *f = fetches; f; f = f->next)
                if (!f->dead && f->sbx == s && f->peer == p && f->out_sid && f->out_sid == stream_id) {
                        f->out_sid = 0; /* nothing more may go out on it */
                        fetch_end(f);
                }
}

void fetch_peer_drained(struct sbx *s, struct sbx_peer *p)
{
        for (struct fetch *f = fetches; f; f = f->next)
                if (!f->dead && f->sbx == s && f->peer == p && f->paused)
                        fetch_http_resume(f);
}

void fetch_peer_gone(struct sbx *s, struct sbx_peer *p)
{
        for (struct fetch *f = fetches; f; f = f->next)
                if (!f->dead && f->sbx == s && f->peer == p) {
                        f->peer = NULL;
                        fetch_end(f);
                }
}

void fetch_sbx_gone(struct sbx *s)
{
        for (struct fetch *f = fetches; f; f = f->next)
                if (f->sbx == s) {
                        f->peer = NULL;
                        fetch_end(f);
                        f->sbx = NULL; /* the sandbox's memory goes soon */
                }
}

static bool rec_is_ours(const struct fetch *f, json_t *rec)
{
        const char *name = json_string_value(json_object_get(rec, "name"));
        const char *addr = json_string_value(json_object_get(rec, "addr"));
        json_int_t port = json_integer_value(json_object_get(rec, "port"));
        json_int_t ts = json_integer_value(json_object_get(rec, "ts"));
        size_t hl = strlen(f->u.host);

        if (port != f->u.port || ts + FETCH_VERDICT_SLACK_MS < f->connect_ms)
                return false;
        if (hl && f->u.host[hl - 1] == '.')
                hl--;
        if (f->u.ip)
                return addr && strcmp(addr, f->u.host) == 0;
        return name && strlen(name) == hl && strncasecmp(name, f->u.host, hl) == 0;
}

void fetch_netlog_note(struct sbx *s, json_t *rec)
{
        const char *decision = json_string_value(json_object_get(rec, "decision"));
        const char *reason = json_string_value(json_object_get(rec, "reason"));

        for (struct fetch *f = fetches; f; f = f->next) {
                if (f->dead || f->sbx != s || f->got_bytes || !f->connect_ms || !rec_is_ours(f, rec))
                        continue;
                if (decision && strcmp(decision, "allow") != 0) {
                        snprintf(f->verdict, sizeof(f->verdict), "%s", reason ? reason : "");
                        f->refused = true;
                        if (f->state == FS_VERDICT)
                                fetch_fail_refused(f, f->verdict);
                } else if (f->state == FS_VERDICT) {
                        fetch_fail(f, "connection reset by %s:%u", f->u.host, f->u.port);
                }
        }
}

/* A connection reset before any answer: a refusal if the egress log says so. */
static void on_verdict_timeout(evutil_socket_t fd, short what, void *arg)
{
        struct fetch *f = arg;

        fetch_fail(f,
                   "connection to %s:%u was reset before any response (refused by the sandbox's network "
                   "policy? see its egress log)",
                   f->u.host, f->u.port);
}

void fetch_reset_before_answer(struct fetch *f)
{
        struct timeval tv = { 0, FETCH_VERDICT_WAIT_MS * 1000 };

        net_close(f);
        if (f->refused) {
                fetch_fail_refused(f, f->verdict);
                return;
        }
        f->state = FS_VERDICT;
        evtimer_add(f->timer, &tv);
}

/* --- connecting ------------------------------------------------------------ */

static void on_connect(evutil_socket_t fd, short what, void *arg)
{
        struct fetch *f = arg;
        int se = 0;
        socklen_t sl = sizeof(se);

        event_free(f->io_ev);
        f->io_ev = NULL;
        if (what & EV_TIMEOUT) {
                fetch_fail(f, "connection to %s:%u timed out after %d s", f->u.host, f->u.port,
                           FETCH_CONNECT_TIMEOUT_S);
                return;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &se, &sl) < 0)
                se = errno;
        if (se) {
                fetch_fail(f, "tcp connect error: %s", strerror(se));
                return;
        }
        fetch_http_open(f);
}

static void connect_start(struct fetch *f)
{
        struct al_error err = { 0 };
        struct timeval tv = { FETCH_CONNECT_TIMEOUT_S, 0 };
        int fd;

        f->state = FS_CONNECT;
        fd = rt_sandbox_socket(sbx_rt(f->sbx), f->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, &err);
        if (fd < 0) {
                fetch_fail(f, "%s", err.msg);
                return;
        }
        f->fd = fd;
        f->connect_ms = now_ms();
        if (connect(fd, (struct sockaddr *)&f->sa, f->sa_len) == 0) {
                fetch_http_open(f);
                return;
        }
        if (errno != EINPROGRESS) {
                fetch_fail(f, "tcp connect error: %s", strerror(errno));
                return;
        }
        f->io_ev = event_new(sbx_base(f->sbx), fd, EV_WRITE, on_connect, f);
        if (!f->io_ev || event_add(f->io_ev, &tv) < 0)
                fetch_fail(f, "out of memory");
}

static void set_ipv4(struct fetch *f, const uint8_t a[4])
{
        struct sockaddr_in *in = (struct sockaddr_in *)&f->sa;

        memset(&f->sa, 0, sizeof(f->sa));
        in->sin_family = AF_INET;
        in->sin_port = htons(f->u.port);
        memcpy(&in->sin_addr, a, 4);
        f->sa_len = sizeof(*in);
}

/* --- the name, asked of the sandbox's own name server ----------------------- */

static void on_dns(evutil_socket_t fd, short what, void *arg)
{
        struct fetch *f = arg;
        uint8_t msg[NET_DNS_MAX_MSG], a[4];

        if (what & EV_TIMEOUT) {
                fetch_fail(f, "dns error: no answer for %s within %d s", f->u.host, FETCH_DNS_TIMEOUT_S);
                return;
        }
        for (;;) {
                ssize_t n = recv(fd, msg, sizeof(msg), MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        return;
                if (n < 0) { /* ECONNREFUSED: nobody serves the door (a one-shot sandbox) */
                        fetch_fail(f, "dns error: the sandbox's name server is not reachable: %s", strerror(errno));
                        return;
                }
                int r = net_dns_stub_answer(msg, (size_t)n, f->dns_id, a);
                if (r == -ESRCH)
                        continue;
                if (r < 0) {
                        fetch_fail(f, "dns error: %s: %s", f->u.host,
                                   r == -ENOENT    ? "no such name"
                                   : r == -ENODATA ? "no address"
                                                   : "bad answer");
                        return;
                }
                event_free(f->io_ev);
                f->io_ev = NULL;
                close(f->dns_fd);
                f->dns_fd = -1;
                set_ipv4(f, a);
                connect_start(f);
                return;
        }
}

static int dns_ask(struct fetch *f, struct al_error *err)
{
        struct sockaddr_in ns = { .sin_family = AF_INET,
                                  .sin_port = htons(RT_DOOR_DNS_PORT),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct timeval tv = { FETCH_DNS_TIMEOUT_S, 0 };
        uint8_t q[NET_DNS_MAX_REPLY];
        ssize_t n;

        evutil_secure_rng_get_bytes(&f->dns_id, sizeof(f->dns_id));
        n = net_dns_stub_query(f->dns_id, f->u.host, q, sizeof(q));
        if (n < 0)
                return al_error_setx(err, EINVAL, "invalid host name '%.64s'", f->u.host);
        f->dns_fd = rt_sandbox_socket(sbx_rt(f->sbx), AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, err);
        if (f->dns_fd < 0)
                return f->dns_fd;
        if (connect(f->dns_fd, (struct sockaddr *)&ns, sizeof(ns)) < 0 || send(f->dns_fd, q, (size_t)n, 0) != n)
                return al_error_set(err, errno, "dns error: cannot ask the sandbox's name server");
        f->io_ev = event_new(sbx_base(f->sbx), f->dns_fd, EV_READ | EV_PERSIST, on_dns, f);
        if (!f->io_ev || event_add(f->io_ev, &tv) < 0)
                return al_error_setx(err, ENOMEM, "out of memory");
        return 0;
}

static bool is_localhost(const char *h)
{
        size_t n = strlen(h);

        if (n && h[n - 1] == '.')
                n--;
        return (n == 9 && strncmp(h, "localhost", 9) == 0) || (n > 10 && strncmp(h + n - 10, ".localhost", 10) == 0);
}

/* Where u points, then connect. "localhost" is the sandbox's own loopback,
 * as its hosts file says; every other name is asked of the door. */
void fetch_resolve(struct fetch *f)
{
        static const uint8_t loopback[4] = { 127, 0, 0, 1 };
        struct al_error err = { 0 };

        f->state = FS_RESOLVE;
        f->connect_ms = 0;
        f->refused = false;
        f->verdict[0] = '\0';
        if (f->u.ipv6) {
                struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&f->sa;
                memset(&f->sa, 0, sizeof(f->sa));
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons(f->u.port);
                inet_pton(AF_INET6, f->u.host, &in6->sin6_addr);
                f->sa_len = sizeof(*in6);
        } else if (f->u.ip) {
                uint8_t a[4];
                inet_pton(AF_INET, f->u.host, a);
                set_ipv4(f, a);
        } else if (is_localhost(f->u.host)) {
                set_ipv4(f, loopback);
        } else {
                if (dns_ask(f, &err) < 0)
                        fetch_fail(f, "%s", err.msg);
                return;
        }
        connect_start(f);
}

/* --- the request, from the RPC's params ------------------------------------ */

static bool is_token(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s <= 0x20 || *s >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *s))
                        return false;
        return true;
}

static int parse_headers(struct fetch *f, json_t *hs, struct al_error *err)
{
        size_t i, total = 0;
        json_t *h;

        if (!hs || json_is_null(hs)) {
                f->headers = json_array();
                return 0;
        }
        if (!json_is_array(hs) || json_array_size(hs) > AL_FETCH_MAX_HEADERS)
                return al_error_setx(err, EINVAL, "headers: an array of at most %d [name, value] pairs",
                                     AL_FETCH_MAX_HEADERS);
        json_array_foreach (hs, i, h) {
                const char *name = json_string_value(json_array_get(h, 0));
                json_t *v = json_array_get(h, 1);
                if (json_array_size(h) != 2 || !name || !json_is_string(v) || !is_token(name))
                        return al_error_setx(err, EINVAL, "headers: entry %zu is not a valid [name, value] pair", i);
                const char *val = json_string_value(v);
                size_t vl = json_string_length(v);
                if (strlen(val) != vl || strpbrk(val, "\r\n"))
                        return al_error_setx(err, EINVAL, "headers: invalid value for '%.64s'", name);
                total += strlen(name) + vl + 4;
        }
        if (total > AL_FETCH_MAX_HEAD)
                return al_error_setx(err, EINVAL, "headers: more than %u bytes", AL_FETCH_MAX_HEAD);
        f->headers = json_deep_copy(hs);
        return 0;
}

static int parse_request(struct fetch *f, json_t *params, struct al_error *err)
{
        const char *url = json_string_value(json_object_get(params, "url"));
        const char *method = json_string_value(json_object_get(params, "method"));
        const char *redirect = json_string_value(json_object_get(params, "redirect"));
        json_t *body = json_object_get(params, "bodyStreamId");
        json_t *aid = json_object_get(params, "abortId");
        int r;

        if (!url)
                return al_error_setx(err, EINVAL, "fetch: url must be a string");
        if (strlen(url) > AL_FETCH_MAX_URL)
                return al_error_setx(err, EINVAL, "fetch: URL longer than %u bytes", AL_FETCH_MAX_URL);
        snprintf(f->url, sizeof(f->url), "%s", url);
        r = net_url_parse(url, &f->u);
        if (r == -EPROTONOSUPPORT)
                return al_error_setx(err, EINVAL, "fetch: scheme of '%.200s' not supported (http and https only)", url);
        if (r < 0)
                return al_error_setx(err, EINVAL, "fetch: invalid URL '%.200s'", url);
        if (!method)
                method = "GET";
        if (strlen(method) > AL_FETCH_MAX_METHOD || !is_token(method))
                return al_error_setx(err, EINVAL, "fetch: invalid method");
        if (!strcasecmp(method, "CONNECT") || !strcasecmp(method, "TRACE") || !strcasecmp(method, "TRACK"))
                return al_error_setx(err, EINVAL, "fetch: method %s is forbidden", method);
        snprintf(f->method, sizeof(f->method), "%s", method);
        if (!redirect || strcmp(redirect, "follow") == 0)
                f->follow = true;
        else if (strcmp(redirect, "manual") != 0)
                return al_error_setx(err, EINVAL, "fetch: redirect must be \"follow\" or \"manual\"");
        f->abort_id = json_is_integer(aid) ? json_integer_value(aid) : -1;
        f->body_sid = json_is_integer(body) ? json_integer_value(body) : -1;
        if (body && !json_is_null(body) && !json_is_integer(body))
                return al_error_setx(err, EINVAL, "fetch: bodyStreamId must be a number");
        return parse_headers(f, json_object_get(params, "headers"), err);
}

/* --- the request body, from a client stream ---------------------------------- */

static void on_body_data(void *arg, const uint8_t *p, size_t n)
{
        struct fetch *f = arg;

        if (f->dead || f->body_sid < 0)
                return;
        evbuffer_add(f->body_q, p, n);
        if (fetch_body_queued(f) > AL_FETCH_MAX_BODY_QUEUE) {
                fetch_fail(f, "request body: more than %u MiB waiting for %s", AL_FETCH_MAX_BODY_QUEUE >> 20,
                           f->u.host);
                return;
        }
        fetch_http_flush_body(f);
}

static void on_body_end(void *arg, bool failed)
{
        struct fetch *f = arg;

        f->body_claimed = false; /* live.c let go of the stream */
        if (f->dead || f->body_sid < 0)
                return;
        if (failed) {
                f->body_failed = true;
                fetch_fail(f, "the request body stream failed");
                return;
        }
        f->body_ended = true;
        fetch_http_flush_body(f);
}

static const struct sbx_in_sink body_sink = { on_body_data, on_body_end };

/* --- the RPC ------------------------------------------------------------------ */

static unsigned count_fetches(const struct sbx *s)
{
        unsigned n = 0;
        for (struct fetch *f = fetches; f; f = f->next)
                n += f->sbx == s && !f->dead;
        return n;
}

static struct fetch *fetch_new(struct sbx *s, struct sbx_peer *p, json_t *id)
{
        struct fetch *f = calloc(1, sizeof(*f));

        if (!f)
                return NULL;
        f->sbx = s;
        f->peer = p;
        f->rpc_id = json_incref(id);
        f->fd = f->dns_fd = -1;
        f->body_sid = -1;
        f->free_ev = evtimer_new(sbx_base(s), on_free, f);
        f->timer = evtimer_new(sbx_base(s), on_verdict_timeout, f);
        f->body_q = evbuffer_new();
        if (!f->free_ev || !f->timer || !f->body_q || fetch_http_init(f) < 0) {
                if (f->free_ev)
                        event_free(f->free_ev);
                if (f->timer)
                        event_free(f->timer);
                fetch_http_release(f);
                json_decref(f->rpc_id);
                free(f);
                return NULL;
        }
        f->next = fetches;
        fetches = f;
        return f;
}

static void reply_early(struct sbx_peer *p, json_t *id, const char *cls, const char *msg, const char *code)
{
        p->send(p, sbx_rpc_result(id, json_pack("{s:o}", "error", sbx_error_object(cls, msg, code))));
}

/* DenoProcess.fetch: the host of the URL is ignored; the request goes to
 * the port on which the process's httpReady found it listening, on the
 * sandbox's own loopback (which never leaves through the door). */
static json_t *to_process(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params, json_t *pid)
{
        struct net_url u;
        char url[AL_FETCH_MAX_URL + 32];
        const char *given = json_string_value(json_object_get(params, "url"));
        int port = json_is_integer(pid) ? deno_http_port(s, json_integer_value(pid)) : -ENOENT;

        if (port < 0) {
                reply_early(p, id, "NotFound", "no HTTP server is known for that process: await its httpReady first",
                            "ENOENT");
                return NULL;
        }
        if (!given || net_url_parse(given, &u) < 0) {
                reply_early(p, id, "TypeError", "invalid URL", NULL);
                return NULL;
        }
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, u.target);
        json_t *copy = json_deep_copy(params);
        json_object_set_new(copy, "url", json_string(url));
        json_object_del(copy, "pid");
        return copy;
}

static void fetch_start_params(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params);

void fetch_start(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        json_t *pid = json_object_get(params, "pid");
        json_t *own = NULL;

        if (pid && !json_is_null(pid)) {
                own = to_process(s, p, id, params, pid);
                if (!own)
                        return;
                params = own;
        }
        fetch_start_params(s, p, id, params);
        json_decref(own);
}

static void fetch_start_params(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        struct al_error err = { 0 };
        struct fetch *f;

        if (count_fetches(s) >= AL_MAX_FETCHES) {
                reply_early(p, id, "TypeError", "too many fetches in flight in this sandbox", "EAGAIN");
                return;
        }
        f = fetch_new(s, p, id);
        if (!f) {
                reply_early(p, id, "Error", "out of memory", "ENOMEM");
                return;
        }
        if (parse_request(f, params, &err) < 0) {
                fail_with(f, sbx_error_object("TypeError", err.msg, NULL));
                return;
        }
        if (f->body_sid >= 0) {
                f->body_claimed = true; /* until on_body_end */
                if (sbx_in_claim(s, p, f->body_sid, &body_sink, f) < 0) {
                        f->body_claimed = false;
                        f->body_sid = -1;
                        fetch_fail(f, "the request body stream is not available");
                        return;
                }
                if (f->dead)
                        return;
        }
        fetch_resolve(f);
}

/* --- redirects ----------------------------------------------------------------- */

static void drop_header(json_t *hs, const char *name)
{
        for (size_t i = json_array_size(hs); i-- > 0;)
                if (strcasecmp(json_string_value(json_array_get(json_array_get(hs, i), 0)), name) == 0)
                        json_array_remove(hs, i);
}

/* Follow the Location of a 3xx answer (WHATWG fetch, "HTTP-redirect fetch").
 * Returns 1 if the 3xx is to be answered as it is: a body stream cannot be
 * sent twice. */
int fetch_redirect(struct fetch *f, const char *location, size_t len)
{
        char next[AL_FETCH_MAX_URL + 1];
        struct net_url nu;
        int st = f->status;
        bool to_get = (st == 303 && strcmp(f->method, "HEAD") != 0) ||
                      ((st == 301 || st == 302) && strcmp(f->method, "POST") == 0);

        if (f->body_sid >= 0 && !to_get)
                return 1;
        if (++f->redirects > AL_FETCH_MAX_REDIRECTS) {
                fetch_fail(f, "too many redirects (more than %d)", AL_FETCH_MAX_REDIRECTS);
                return 0;
        }
        long n = net_url_resolve(f->url, location, len, next, sizeof(next));
        int r = n < 0 ? (int)n : net_url_parse(next, &nu);
        if (r < 0) {
                fetch_fail(f, r == -EPROTONOSUPPORT ? "redirect to a URL that is not http or https"
                                                    : "invalid redirect location");
                return 0;
        }
        if (to_get) {
                snprintf(f->method, sizeof(f->method), "GET");
                body_drop(f);
                if (f->dead)
                        return 0;
                static const char *const body_headers[] = { "content-type", "content-encoding", "content-language",
                                                            "content-location" };
                for (size_t i = 0; i < sizeof(body_headers) / sizeof(body_headers[0]); i++)
                        drop_header(f->headers, body_headers[i]);
        }
        if (!net_url_same_origin(&f->u, &nu))
                drop_header(f->headers, "authorization");
        memcpy(f->url, next, (size_t)n + 1);
        f->u = nu;
        net_close(f);
        fetch_http_reset(f);
        fetch_resolve(f);
        return 0;
}
