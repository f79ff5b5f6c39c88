/* SPDX-License-Identifier: Apache-2.0 */
/* One connection through the door, from accept to its log record:
 *   accept -> original destination -> name (synthetic address) or IP literal
 *   -> policy on name/IP and port -> resolve (operator overrides first, then
 *   the host's resolver, asynchronously) -> every address checked against the
 *   host's special ranges -> dial -> splice, or, toward a secret's host over
 *   TLS, terminate TLS with a minted certificate, swap placeholders in request
 *   heads, verify the upstream and redact the secrets from what comes back.
 * The first bytes the sandbox sends are checked before anything is forwarded:
 * a TLS SNI or HTTP Host naming another host than the one dialled is refused
 * (no domain fronting). Refusals reset the connection, or answer 403 to a
 * client that speaks plain HTTP. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "net/sni.h"
#include "proxy.h"

struct px_conn {
        struct px_sandbox *sb;
        struct px_conn *prev, *next;
        int fd;                   /* the sandbox's end, until a bufferevent owns it */
        struct event *ev;         /* peek (first bytes) or refusal wait */
        struct event *timer;      /* resolve + connect deadline */
        struct bufferevent *down; /* toward the sandbox */
        struct bufferevent *up;   /* toward the upstream */
        struct evdns_getaddrinfo_request *dns_req;
        struct evutil_addrinfo *ai, *ai_cur;
        struct sockaddr_storage dial;
        struct net_req_rewriter *rw;
        struct net_redactor *rd;
        struct px_dir *raw;     /* zero-copy splicing, once nothing needs to look at the bytes */
        struct net_secret *sec; /* the secrets bound to name, for the rewriter */
        size_t n_sec;
        struct evutil_addrinfo *sync_ai;
        int sync_result;
        bool in_resolve, sync_done, deciding;
        char name[NET_NAME_MAX + 1]; /* empty: the sandbox dialled an IP literal */
        char addr[INET6_ADDRSTRLEN]; /* the address dialled (or to be) */
        char dst[INET6_ADDRSTRLEN];  /* the address the sandbox dialled */
        char reason[200];
        uint16_t port, dial_port;
        bool from_override; /* the operator named this address: no range check */
        bool switching;     /* draining the bufferevents before splicing */
        bool mitm, tls_seen, inspected, connected, down_eof, up_eof, freeing;
        const char *decision;
        uint64_t tx, rx;
        struct timeval start;
};

/* One direction of a connection in zero-copy mode: socket -> pipe -> socket. */
struct px_dir {
        struct px_conn *c;
        int from, to, pr, pw;
        size_t held; /* bytes in the pipe */
        bool eof, shut;
        uint64_t *count;
        struct event *rev, *wev;
};

static void conn_free(struct px_conn *c);
static void splice_start(struct px_conn *c);
static void raw_free(struct px_conn *c);

/* ---- records and teardown ---- */

static int64_t ms_since(const struct timeval *t)
{
        struct timeval now;

        gettimeofday(&now, NULL);
        return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_usec - t->tv_usec) / 1000;
}

static void conn_log(struct px_conn *c)
{
        json_t *rec = json_pack("{s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:I, s:I, s:I, s:b}", "ts",
                                (json_int_t)c->start.tv_sec * 1000 + c->start.tv_usec / 1000, "name", c->name, "addr",
                                c->addr, "dst", c->dst, "port", (int)c->port, "decision",
                                c->decision ? c->decision : "allow", "reason", c->reason, "bytes_out",
                                (json_int_t)c->tx, "bytes_in", (json_int_t)c->rx, "ms", (json_int_t)ms_since(&c->start),
                                "tls_intercepted", c->mitm);
        if (rec)
                px_log_record(c->sb, rec);
}

static void conn_free(struct px_conn *c)
{
        conn_log(c);
        raw_free(c);
        if (c->dns_req)
                evdns_getaddrinfo_cancel(c->dns_req); /* its callback frees nothing of ours */
        if (c->ai)
                evutil_freeaddrinfo(c->ai);
        if (c->ev)
                event_free(c->ev);
        if (c->timer)
                event_free(c->timer);
        if (c->down)
                bufferevent_free(c->down);
        else if (c->fd >= 0)
                close(c->fd);
        if (c->up)
                bufferevent_free(c->up);
        net_req_rewriter_free(c->rw);
        net_redactor_free(c->rd);
        free(c->sec);
        if (c->prev)
                c->prev->next = c->next;
        else
                c->sb->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->sb->n_conns--;
        free(c);
}

void px_conn_close_all(struct px_sandbox *sb)
{
        while (sb->conns) {
                struct px_conn *c = sb->conns;
                if (!c->decision)
                        snprintf(c->reason, sizeof(c->reason), "sandbox ended");
                conn_free(c);
        }
}

/* ---- refusals ---- */

static void reset_and_free(struct px_conn *c)
{
        struct linger lg = { 1, 0 };
        int fd = c->down ? bufferevent_getfd(c->down) : c->fd;

        if (fd >= 0)
                (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        conn_free(c);
}

static void send_403(struct px_conn *c, int fd)
{
        char body[400], msg[700];
        int blen = snprintf(body, sizeof(body), "airlock: connection to %s:%u refused: %s\n",
                            c->name[0] ? c->name : c->addr, c->port, c->reason);
        int n = snprintf(msg, sizeof(msg),
                         "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
                         "Content-Length: %d\r\nConnection: close\r\nX-Airlock-Refused: 1\r\n\r\n%s",
                         blen, body);
        (void)send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        shutdown(fd, SHUT_WR);
}

static void on_refuse_ready(evutil_socket_t fd, short what, void *arg)
{
        struct px_conn *c = arg;
        uint8_t buf[16];
        ssize_t n = (what & EV_READ) ? recv(fd, buf, sizeof(buf), MSG_PEEK) : 0;

        if (n > 0 && net_looks_like_http(buf, (size_t)n)) {
                send_403(c, fd);
                conn_free(c);
                return;
        }
        reset_and_free(c);
}

/* Written: end our side and wait for the client's end, so that its unread
 * request does not turn our close into a reset that loses the answer. */
static void on_502_written(struct bufferevent *bev, void *arg)
{
        shutdown(bufferevent_getfd(bev), SHUT_WR);
}

static void on_linger_over(evutil_socket_t fd, short what, void *arg)
{
        conn_free(arg);
}

static void on_502_drain(struct bufferevent *bev, void *arg)
{
        evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

static void on_502_event(struct bufferevent *bev, short what, void *arg)
{
        if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) /* not CONNECTED: the handshake's end */
                conn_free(arg);
}

static void send_502(struct px_conn *c)
{
        char body[400];
        int blen = snprintf(body, sizeof(body), "airlock: %s:%u unreachable: %s\n", c->name, c->port, c->reason);

        struct timeval linger = { 2, 0 };

        if (c->up) {
                bufferevent_free(c->up);
                c->up = NULL;
        }
        if (c->timer)
                event_free(c->timer);
        c->timer = evtimer_new(px.base, on_linger_over, c);
        if (c->timer)
                evtimer_add(c->timer, &linger);
        evbuffer_add_printf(bufferevent_get_output(c->down),
                            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain; charset=utf-8\r\n"
                            "Content-Length: %d\r\nConnection: close\r\nX-Airlock-Refused: 1\r\n\r\n%s",
                            blen, body);
        /* reading stays on: the TLS handshake may not be over yet */
        bufferevent_setcb(c->down, on_502_drain, on_502_written, on_502_event, c);
        bufferevent_setwatermark(c->down, EV_WRITE, 0, 0);
        bufferevent_enable(c->down, EV_READ | EV_WRITE);
}

/* Refuse: the record says why. A client that speaks HTTP first gets a 403
 * saying it; anything else a reset. */
static void conn_refuse(struct px_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void conn_refuse(struct px_conn *c, const char *fmt, ...)
{
        va_list ap;
        struct timeval wait = { 0, PX_REFUSE_WAIT_MS * 1000 };

        va_start(ap, fmt);
        vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
        va_end(ap);
        c->decision = "deny";
        if (c->down && c->mitm) { /* inside our TLS: say it in HTTP (SEC-46) */
                send_502(c);
                return;
        }
        if (c->down) {
                struct evbuffer *in = bufferevent_get_input(c->down);
                size_t len = evbuffer_get_length(in);
                uint8_t *p = evbuffer_pullup(in, len < 16 ? (ssize_t)len : 16);
                if (!c->mitm && p && net_looks_like_http(p, len < 16 ? len : 16)) {
                        send_403(c, bufferevent_getfd(c->down));
                        conn_free(c);
                } else {
                        reset_and_free(c);
                }
                return;
        }
        if (c->ev)
                event_free(c->ev);
        c->ev = event_new(px.base, c->fd, EV_READ, on_refuse_ready, c);
        if (!c->ev || event_add(c->ev, &wait) < 0)
                reset_and_free(c);
}

/* ---- inspection of the first bytes ---- */

static bool secret_host(const struct px_sandbox *sb, const char *name)
{
        for (size_t i = 0; i < sb->n_secrets; i++)
                if (net_policy_allows_name(&sb->secret_hosts[i], name, 0))
                        return true;
        return false;
}

static bool same_host(const char *a, const char *b)
{
        return strcasecmp(a, b) == 0;
}

/* 1: pass, 0: need more bytes, -1: refused (c is freed). */
static int inspect(struct px_conn *c, struct evbuffer *in)
{
        size_t len = evbuffer_get_length(in);
        size_t take = len < PX_PEEK_MAX ? len : PX_PEEK_MAX;
        const uint8_t *p = evbuffer_pullup(in, (ssize_t)take);
        char sni[NET_NAME_MAX + 1];
        struct net_http_head head;
        int r;

        if (!take)
                return 0;
        if (p[0] == 0x16 && !c->mitm) {
                c->tls_seen = true;
                r = net_tls_client_hello_sni(p, take, sni, sizeof(sni));
                if (r == -EAGAIN && take < PX_PEEK_MAX)
                        return 0;
                if (r > 0 && c->name[0] && !same_host(sni, c->name)) {
                        conn_refuse(c, "TLS server name '%s' is not the host dialled (%s)", sni, c->name);
                        return -1;
                }
                /* An address chosen by the sandbox never gets to speak for a
                 * secret's host (SEC-38). */
                if (r > 0 && !c->name[0] && secret_host(c->sb, sni)) {
                        conn_refuse(c, "TLS server name '%s' is a secret's host, dialled by address", sni);
                        return -1;
                }
                return 1;
        }
        if (!net_looks_like_http(p, take))
                return 1;
        r = net_http_request_head(p, take, &head);
        if (r == -EAGAIN && take < PX_PEEK_MAX)
                return 0;
        if (r >= 0 && head.host[0] && c->name[0] && !same_host(head.host, c->name)) {
                conn_refuse(c, "HTTP Host '%s' is not the host dialled (%s)", head.host, c->name);
                return -1;
        }
        return 1;
}

/* ---- splicing ---- */

static int emit_evbuffer(void *ctx, const void *p, size_t n)
{
        return evbuffer_add(ctx, p, n);
}

static int feed_rewriter(void *f, const void *p, size_t n)
{
        return net_req_rewriter_feed(f, p, n);
}

static int feed_redactor(void *f, const void *p, size_t n)
{
        return net_redactor_feed(f, p, n);
}

/* Hand all of in to a filter chunk by chunk; it writes to the other side. */
static int feed_filter(struct evbuffer *in, int (*feed)(void *, const void *, size_t), void *filter)
{
        int r = 0;

        while (r >= 0 && evbuffer_get_length(in)) {
                struct evbuffer_iovec v;
                evbuffer_peek(in, -1, NULL, &v, 1);
                r = feed(filter, v.iov_base, v.iov_len);
                evbuffer_drain(in, v.iov_len);
        }
        return r;
}

static void pass(struct px_conn *c, struct bufferevent *from, struct bufferevent *to)
{
        struct evbuffer *in = bufferevent_get_input(from), *out = bufferevent_get_output(to);
        bool outward = from == c->down;
        void *filter = outward ? (void *)c->rw : (void *)c->rd;
        int r = 0;

        *(outward ? &c->tx : &c->rx) += evbuffer_get_length(in);
        if (filter)
                r = feed_filter(in, outward ? feed_rewriter : feed_redactor, filter);
        else
                evbuffer_add_buffer(out, in);
        if (r < 0) {
                snprintf(c->reason, sizeof(c->reason), "request not understood by the secret filter");
                c->decision = "deny";
                reset_and_free(c);
                return;
        }
        /* Write at once rather than on the next turn of the loop: a
         * request-response exchange saves a wake-up in each direction. */
        if (!c->mitm && evbuffer_get_length(out))
                (void)evbuffer_write(out, bufferevent_getfd(to));
        if (evbuffer_get_length(out) >= PX_HIGH_WATER)
                bufferevent_disable(from, EV_READ);
}

static void maybe_finish(struct px_conn *c)
{
        /* Both ways closed and flushed: done. */
        if (c->down_eof && c->up_eof && !evbuffer_get_length(bufferevent_get_output(c->down)) &&
            !evbuffer_get_length(bufferevent_get_output(c->up)))
                conn_free(c);
}

static void half_close(struct bufferevent *to, bool tls)
{
        if (!evbuffer_get_length(bufferevent_get_output(to)) && !tls)
                shutdown(bufferevent_getfd(to), SHUT_WR);
}

/* ---- zero-copy splicing ---- */

static void raw_free(struct px_conn *c)
{
        if (!c->raw)
                return;
        for (int i = 0; i < 2; i++) {
                struct px_dir *d = &c->raw[i];
                if (d->rev)
                        event_free(d->rev);
                if (d->wev)
                        event_free(d->wev);
                if (d->pr >= 0)
                        close(d->pr);
                if (d->pw >= 0)
                        close(d->pw);
        }
        close(c->raw[0].from);
        close(c->raw[0].to);
        free(c->raw);
        c->raw = NULL;
}

static void dir_pump(struct px_dir *d)
{
        struct px_conn *c = d->c;

        for (int round = 0; round < PX_SPLICE_ROUNDS; round++) {
                if (d->held) {
                        ssize_t m = splice(d->pr, NULL, d->to, NULL, d->held, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                        if (m < 0 && errno == EAGAIN) { /* wait until the other side takes more */
                                event_del(d->rev);
                                event_add(d->wev, NULL);
                                return;
                        }
                        if (m <= 0) {
                                conn_free(c);
                                return;
                        }
                        d->held -= (size_t)m;
                        *d->count += (uint64_t)m;
                        continue;
                }
                if (d->eof) {
                        shutdown(d->to, SHUT_WR);
                        d->shut = true;
                        event_del(d->rev);
                        event_del(d->wev);
                        if (c->raw[0].shut && c->raw[1].shut)
                                conn_free(c);
                        return;
                }
                ssize_t n = splice(d->from, NULL, d->pw, NULL, PX_IO_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                if (n < 0 && errno == EAGAIN) {
                        event_del(d->wev);
                        event_add(d->rev, NULL);
                        return;
                }
                if (n < 0) {
                        conn_free(c);
                        return;
                }
                if (n == 0)
                        d->eof = true;
                d->held += (size_t)n;
        }
        event_add(d->rev, NULL); /* more later: others get their turn */
}

static void on_raw(evutil_socket_t fd, short what, void *arg)
{
        dir_pump(arg);
}

static int raw_dir_init(struct px_conn *c, struct px_dir *d, int from, int to, uint64_t *count)
{
        int p[2];

        *d = (struct px_dir){ .c = c, .from = from, .to = to, .pr = -1, .pw = -1, .count = count };
        if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
                return -errno;
        d->pr = p[0];
        d->pw = p[1];
        (void)fcntl(d->pw, F_SETPIPE_SZ, PX_IO_CHUNK);
        d->rev = event_new(px.base, from, EV_READ, on_raw, d);
        d->wev = event_new(px.base, to, EV_WRITE, on_raw, d);
        return d->rev && d->wev ? 0 : -ENOMEM;
}

/* Take the sockets from their bufferevents. */
static int take_fd(struct bufferevent **bev)
{
        int fd = bufferevent_getfd(*bev);

        bufferevent_setfd(*bev, -1);
        bufferevent_free(*bev);
        *bev = NULL;
        return fd;
}

/* Nothing left to look at (inspected, not intercepted) and nothing queued:
 * from here the kernel moves the bytes (splice through a pipe), which is
 * several times faster than copying them through bufferevents. */
static bool try_raw(struct px_conn *c)
{
        struct evbuffer *din, *uin, *dout, *uout;

        if (c->raw || c->mitm || !c->inspected || !c->connected || c->down_eof || c->up_eof)
                return false;
        din = bufferevent_get_input(c->down);
        uin = bufferevent_get_input(c->up);
        dout = bufferevent_get_output(c->down);
        uout = bufferevent_get_output(c->up);
        c->tx += evbuffer_get_length(din);
        c->rx += evbuffer_get_length(uin);
        evbuffer_add_buffer(uout, din);
        evbuffer_add_buffer(dout, uin);
        if (evbuffer_get_length(dout) || evbuffer_get_length(uout)) {
                /* read nothing more until both are written out: on_write
                 * comes back when they are empty */
                c->switching = true;
                bufferevent_disable(c->down, EV_READ);
                bufferevent_disable(c->up, EV_READ);
                bufferevent_setwatermark(c->down, EV_WRITE, 0, 0);
                bufferevent_setwatermark(c->up, EV_WRITE, 0, 0);
                return true;
        }
        c->raw = calloc(2, sizeof(*c->raw));
        if (!c->raw)
                return false;
        int down = take_fd(&c->down), up = take_fd(&c->up);
        if (raw_dir_init(c, &c->raw[0], down, up, &c->tx) < 0 || raw_dir_init(c, &c->raw[1], up, down, &c->rx) < 0) {
                conn_free(c);
                return true;
        }
        event_add(c->raw[0].rev, NULL);
        event_add(c->raw[1].rev, NULL);
        return true;
}

static void on_down_read(struct bufferevent *bev, void *arg)
{
        struct px_conn *c = arg;

        if (!c->inspected) {
                int r = inspect(c, bufferevent_get_input(bev));
                if (r <= 0)
                        return;
                c->inspected = true;
        }
        if (!c->connected)
                return; /* held until the upstream answers */
        if (!try_raw(c))
                pass(c, c->down, c->up);
}

static void on_up_read(struct bufferevent *bev, void *arg)
{
        struct px_conn *c = arg;

        /* The server spoke first (SSH, SMTP, a bulk sender): there is no
         * client name to compare, and fronting needs the client to speak. */
        if (!c->inspected && !c->mitm && !evbuffer_get_length(bufferevent_get_input(c->down)))
                c->inspected = true;
        if (!try_raw(c))
                pass(c, c->up, c->down);
}

/* The other side drained: read again; finish a half-close. */
static void on_write(struct bufferevent *bev, void *arg)
{
        struct px_conn *c = arg;
        bool to_down = bev == c->down;
        struct bufferevent *from = to_down ? c->up : c->down;

        if (!from)
                return;
        if (c->switching) {
                if (!try_raw(c)) { /* cannot splice after all: carry on as before */
                        c->switching = false;
                        bufferevent_enable(c->down, EV_READ);
                        bufferevent_enable(c->up, EV_READ);
                }
                return;
        }
        if (!(to_down ? c->up_eof : c->down_eof))
                bufferevent_enable(from, EV_READ);
        else
                half_close(bev, c->mitm);
        if (!try_raw(c))
                maybe_finish(c);
}

static void on_side_event(struct bufferevent *bev, short what, void *arg)
{
        struct px_conn *c = arg;
        bool is_down = bev == c->down;

        if (what & BEV_EVENT_ERROR) {
                unsigned long e = bufferevent_get_openssl_error(bev);
                /* A peer that closes without close_notify (many HTTP clients
                 * do once they have the response) has simply closed. */
                if (e && ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                        e = 0;
                if (!c->decision && e) {
                        snprintf(c->reason, sizeof(c->reason), "TLS with the %s failed: %s",
                                 is_down ? "sandbox" : "upstream", ERR_reason_error_string(e));
                        c->decision = "error";
                }
                conn_free(c);
                return;
        }
        if (what & BEV_EVENT_EOF) {
                if (is_down)
                        c->down_eof = true;
                else
                        c->up_eof = true;
                struct bufferevent *to = is_down ? c->up : c->down;
                if (!is_down && c->rd)
                        (void)net_redactor_flush(c->rd);
                if (c->mitm) { /* TLS: no half-close, end both once flushed */
                        c->down_eof = c->up_eof = true;
                } else if (to) {
                        half_close(to, false);
                }
                maybe_finish(c);
        }
}

/* ---- dialling ---- */

static void dial_next(struct px_conn *c);

static void on_up_event(struct bufferevent *bev, short what, void *arg)
{
        struct px_conn *c = arg;

        if (c->connected) {
                on_side_event(bev, what, arg);
                return;
        }
        if (what & BEV_EVENT_CONNECTED) {
                int one = 1;
                (void)setsockopt(bufferevent_getfd(c->up), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                c->connected = true;
                event_del(c->timer);
                bufferevent_setcb(c->up, on_up_read, on_write, on_up_event, c);
                bufferevent_enable(c->up, EV_READ);
                splice_start(c);
                return;
        }
        if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
                unsigned long e = bufferevent_get_openssl_error(bev);
                int se = EVUTIL_SOCKET_ERROR();
                if (e)
                        snprintf(c->reason, sizeof(c->reason), "upstream TLS failed: %s", ERR_reason_error_string(e));
                else
                        snprintf(c->reason, sizeof(c->reason), "connect to %s port %u failed: %s", c->addr,
                                 c->dial_port, se ? strerror(se) : "connection closed");
                bufferevent_free(c->up);
                c->up = NULL;
                dial_next(c);
        }
}

static struct bufferevent *up_new(struct px_conn *c)
{
        int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;

        if (!c->mitm)
                return bufferevent_socket_new(px.base, -1, opts);
        SSL *ssl = SSL_new(px.client_ctx);
        if (!ssl)
                return NULL;
        if (net_tls_client_set_host(ssl, c->name) < 0) {
                SSL_free(ssl);
                return NULL;
        }
        return bufferevent_openssl_socket_new(px.base, -1, ssl, BUFFEREVENT_SSL_CONNECTING, opts);
}

static void dial_next(struct px_conn *c)
{
        for (; c->ai_cur; c->ai_cur = c->ai_cur->ai_next) {
                struct sockaddr *sa = c->ai_cur->ai_addr;
                memcpy(&c->dial, sa, c->ai_cur->ai_addrlen);
                ((struct sockaddr_in *)&c->dial)->sin_port = htons(c->dial_port);
                evutil_inet_ntop(sa->sa_family,
                                 sa->sa_family == AF_INET ? (void *)&((struct sockaddr_in *)sa)->sin_addr
                                                          : (void *)&((struct sockaddr_in6 *)sa)->sin6_addr,
                                 c->addr, sizeof(c->addr));
                enum net_addr_class k = net_addr_classify((struct sockaddr *)&c->dial);
                if (k != NET_ADDR_PUBLIC && !c->from_override &&
                    !net_cidr_list_contains(&px.cfg.allowed, (struct sockaddr *)&c->dial)) {
                        snprintf(c->reason, sizeof(c->reason),
                                 "%s resolves to %s, a %s address the operator has not allowed",
                                 c->name[0] ? c->name : "the address", c->addr, net_addr_class_name(k));
                        continue;
                }
                c->up = up_new(c);
                if (!c->up)
                        break;
                bufferevent_setcb(c->up, NULL, NULL, on_up_event, c);
                c->ai_cur = c->ai_cur->ai_next;
                if (bufferevent_socket_connect(c->up, (struct sockaddr *)&c->dial,
                                               (int)(c->dial.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                                                  : sizeof(struct sockaddr_in6))) < 0) {
                        bufferevent_free(c->up);
                        c->up = NULL;
                        continue;
                }
                return;
        }
        char why[sizeof(c->reason)];
        snprintf(why, sizeof(why), "%s", c->reason[0] ? c->reason : "no address to dial");
        conn_refuse(c, "%s", why);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
        struct px_conn *c = arg;

        conn_refuse(c, "no answer from %s within %d s", c->name[0] ? c->name : c->addr, PX_CONNECT_TIMEOUT_S);
}

static void resolved(struct px_conn *c, struct evutil_addrinfo *ai)
{
        c->ai = c->ai_cur = ai;
        if (!c->deciding) /* else dialling waits for the sandbox's first byte */
                dial_next(c);
}

static void on_resolved(int result, struct evutil_addrinfo *ai, void *arg)
{
        struct px_conn *c = arg;

        if (result == EVUTIL_EAI_CANCEL)
                return;
        c->dns_req = NULL;
        if (c->in_resolve) { /* answered at once (hosts file): finish after the call */
                c->sync_done = true;
                c->sync_result = result;
                c->sync_ai = ai;
                return;
        }
        if (result != 0) {
                conn_refuse(c, "cannot resolve %s: %s", c->name, evutil_gai_strerror(result));
                return;
        }
        resolved(c, ai);
}

static struct evutil_addrinfo *addrinfo_of(const struct sockaddr *sa)
{
        socklen_t len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        /* one block, as evutil_freeaddrinfo() (freeaddrinfo) frees it */
        struct evutil_addrinfo *ai = calloc(1, sizeof(*ai) + sizeof(struct sockaddr_in6));

        if (!ai)
                return NULL;
        ai->ai_addr = (struct sockaddr *)(ai + 1);
        memcpy(ai->ai_addr, sa, len);
        ai->ai_addrlen = len;
        ai->ai_family = sa->sa_family;
        return ai;
}

/* Resolve the destination: an operator's override, the literal address, or
 * the host's resolver. */
static void resolve(struct px_conn *c, const struct sockaddr *orig)
{
        struct timeval tv = { PX_CONNECT_TIMEOUT_S, 0 };
        const struct net_override *o = net_override_find(&px.cfg.overrides, c->name[0] ? c->name : c->addr, c->port);
        struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };

        c->dial_port = c->port;
        c->timer = evtimer_new(px.base, on_timeout, c);
        if (!c->timer || evtimer_add(c->timer, &tv) < 0) {
                conn_refuse(c, "out of memory");
                return;
        }
        if (o) {
                c->from_override = true;
                if (o->port)
                        c->dial_port = o->port;
                resolved(c, addrinfo_of((const struct sockaddr *)&o->addr));
        } else if (!c->name[0]) {
                resolved(c, addrinfo_of(orig));
        } else {
                c->in_resolve = true;
                struct evdns_getaddrinfo_request *req =
                        evdns_getaddrinfo(px.dns, c->name, NULL, &hints, on_resolved, c);
                c->in_resolve = false;
                if (!c->sync_done) {
                        c->dns_req = req;
                        return;
                }
                c->in_resolve = false;
                if (c->sync_result != 0)
                        conn_refuse(c, "cannot resolve %s: %s", c->name, evutil_gai_strerror(c->sync_result));
                else
                        resolved(c, c->sync_ai);
        }
}

/* ---- the sandbox's side ---- */

static void splice_start(struct px_conn *c)
{
        if (c->mitm) {
                /* The rewriter and the redactor write straight into the
                 * other side's output buffer. The redactor removes every
                 * secret of the sandbox, not only those sent this time. */
                c->rw = net_req_rewriter_new(c->sec, c->n_sec, emit_evbuffer, bufferevent_get_output(c->up));
                c->rd = net_redactor_new(c->sb->secrets, c->sb->n_secrets, emit_evbuffer,
                                         bufferevent_get_output(c->down));
                if (!c->rw || !c->rd) {
                        conn_refuse(c, "out of memory");
                        return;
                }
        }
        bufferevent_setwatermark(c->down, EV_WRITE, PX_HIGH_WATER / 2, 0);
        bufferevent_setwatermark(c->up, EV_WRITE, PX_HIGH_WATER / 2, 0);
        /* libevent reads 16 KiB at a time by default: bulk transfers then
         * spend their time in syscalls */
        bufferevent_set_max_single_read(c->down, PX_IO_CHUNK);
        bufferevent_set_max_single_read(c->up, PX_IO_CHUNK);
        bufferevent_set_max_single_write(c->down, PX_IO_CHUNK);
        bufferevent_set_max_single_write(c->up, PX_IO_CHUNK);
        if (c->inspected && !try_raw(c))
                pass(c, c->down, c->up);
}

static int down_new(struct px_conn *c)
{
        int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
        struct al_error err = { 0 };

        if (c->mitm) {
                SSL_CTX *ctx = net_minter_ctx(px.minter, c->name, &err);
                SSL *ssl = ctx ? SSL_new(ctx) : NULL;
                if (ctx)
                        SSL_CTX_free(ctx);
                if (!ssl)
                        return -1;
                c->down = bufferevent_openssl_socket_new(px.base, c->fd, ssl, BUFFEREVENT_SSL_ACCEPTING, opts);
        } else {
                c->down = bufferevent_socket_new(px.base, c->fd, opts);
        }
        if (!c->down)
                return -1;
        c->fd = -1;
        bufferevent_setcb(c->down, on_down_read, on_write, on_side_event, c);
        bufferevent_enable(c->down, EV_READ);
        return 0;
}

/* Toward a secret's host the first byte decides: TLS is intercepted,
 * anything else passes as it is (the placeholder stays a placeholder). */
static void on_first_bytes(evutil_socket_t fd, short what, void *arg)
{
        struct px_conn *c = arg;
        uint8_t b;
        ssize_t n = (what & EV_READ) ? recv(fd, &b, 1, MSG_PEEK) : -1;

        if (n <= 0) {
                snprintf(c->reason, sizeof(c->reason), "%s", n == 0 ? "closed before sending" : "sent nothing");
                conn_free(c);
                return;
        }
        event_free(c->ev);
        c->ev = NULL;
        if (b != 0x16 && c->port == 443) { /* no opaque tunnel where we intercept (SEC-36) */
                conn_refuse(c, "not TLS on port 443 of a secret's host");
                return;
        }
        c->mitm = b == 0x16 && px.minter && px.client_ctx;
        c->tls_seen = b == 0x16;
        if (down_new(c) < 0) {
                conn_refuse(c, "cannot set up TLS interception");
                return;
        }
        c->deciding = false;
        if (c->ai && !c->up)
                dial_next(c);
}

static int original_dst(int fd, struct sockaddr_storage *ss)
{
        socklen_t len = sizeof(struct sockaddr_in6);
        struct sockaddr_storage local = { 0 };
        socklen_t llen = sizeof(local);

        if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0)
                return -errno;
        // NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): getsockname() filled it
        bool v4 = local.ss_family == AF_INET || IN6_IS_ADDR_V4MAPPED(&((struct sockaddr_in6 *)&local)->sin6_addr);
        if (v4) {
                len = sizeof(struct sockaddr_in);
                if (getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, ss, &len) < 0)
                        return -errno;
                return 0;
        }
        if (getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, ss, &len) < 0)
                return -errno;
        return 0;
}

/* Which host is this for, and may the sandbox go there? */
static void classify(struct px_conn *c, const struct sockaddr_storage *dst)
{
        const struct sockaddr *sa = (const struct sockaddr *)dst;
        const char *name = NULL;

        if (dst->ss_family == AF_INET) {
                const struct sockaddr_in *in = (const void *)dst;
                c->port = ntohs(in->sin_port);
                inet_ntop(AF_INET, &in->sin_addr, c->addr, sizeof(c->addr));
                snprintf(c->dst, sizeof(c->dst), "%s", c->addr);
                uint32_t a = ntohl(in->sin_addr.s_addr);
                if ((a & 0xfffe0000u) == PX_SYNTH_NET) {
                        name = px_names_lookup(&c->sb->names, a);
                        if (!name) {
                                conn_refuse(c, "%s is not an address this sandbox's DNS gave out", c->addr);
                                return;
                        }
                }
        } else {
                const struct sockaddr_in6 *in6 = (const void *)dst;
                // NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): the caller filled dst (SO_ORIGINAL_DST)
                c->port = ntohs(in6->sin6_port);
                inet_ntop(AF_INET6, &in6->sin6_addr, c->addr, sizeof(c->addr));
                snprintf(c->dst, sizeof(c->dst), "%s", c->addr);
        }
        if (name) {
                snprintf(c->name, sizeof(c->name), "%s", name);
                if (!net_policy_allows_name(&c->sb->policy, c->name, c->port)) {
                        conn_refuse(c, "%s:%u is not in this sandbox's allowNet", c->name, c->port);
                        return;
                }
        } else if (!net_policy_allows_addr(&c->sb->policy, sa)) {
                conn_refuse(c, "%s port %u is not in this sandbox's allowNet", c->addr, c->port);
                return;
        }
        if (c->name[0] && px_secrets_for(c->sb, c->name, &c->sec, &c->n_sec) < 0) {
                conn_refuse(c, "out of memory");
                return;
        }
        if (c->n_sec) { /* wait for the first byte: TLS is intercepted */
                c->deciding = true;
                struct timeval tv = { PX_CONNECT_TIMEOUT_S, 0 };
                c->ev = event_new(px.base, c->fd, EV_READ, on_first_bytes, c);
                if (!c->ev || event_add(c->ev, &tv) < 0) {
                        conn_refuse(c, "out of memory");
                        return;
                }
                /* resolve now; dialling waits for the decision */
        } else if (down_new(c) < 0) {
                conn_refuse(c, "out of memory");
                return;
        }
        resolve(c, sa);
}

static void conn_new(struct px_sandbox *sb, int fd)
{
        struct px_conn *c = calloc(1, sizeof(*c));
        struct sockaddr_storage dst = { 0 };

        if (!c) {
                close(fd);
                return;
        }
        c->sb = sb;
        c->fd = fd;
        gettimeofday(&c->start, NULL);
        c->next = sb->conns;
        if (sb->conns)
                sb->conns->prev = c;
        sb->conns = c;
        sb->n_conns++;
        if (sb->n_conns > PX_MAX_CONNS) {
                conn_refuse(c, "too many open connections (%d)", PX_MAX_CONNS);
                return;
        }
        if (original_dst(fd, &dst) < 0) {
                conn_refuse(c, "not a redirected connection");
                return;
        }
        classify(c, &dst);
}

void px_conn_on_accept(evutil_socket_t lfd, short what, void *arg)
{
        struct px_sandbox *sb = arg;

        for (int i = 0; i < 64; i++) {
                int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
                        /* out of descriptors: the listener stays readable, so
                         * stop listening a moment instead of spinning */
                        struct timeval tv = { 0, PX_ACCEPT_PAUSE_MS * 1000 };
                        event_del(sb->accept_ev);
                        evtimer_add(sb->accept_pause, &tv);
                        return;
                }
                if (fd < 0)
                        return;
                int one = 1;
                (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                conn_new(sb, fd);
        }
}
