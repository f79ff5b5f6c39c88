/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/limits.h"
#include "common/log.h"
#include "net/cert.h"
#include "sandbox/deno.h"
#include "sandbox/live.h"
#include "ingress.h"

#define ING_CA_NAME "Airlock ingress CA"
#define ING_LEAF_DAYS 30 /* re-minted every ING_REMINT_S, so never near its end */
#define ING_REMINT_S (24 * 3600)
#define ING_CONNECT_TIMEOUT_S 10 /* a port whose backlog is full */
#define ING_LINGER_S 2           /* after an error reply: read what the client still sends */
#define ING_MAX_DOMAIN (API_INGRESS_LABEL_MAX + 1 + API_INGRESS_HOST_MAX + 6)

struct ing_domain {
        char label[API_INGRESS_LABEL_MAX + 1];
        uint16_t port; /* 0: handed out, not bound yet */
};

/* One sandbox's exposures and the connections into it. */
struct ing_sbx {
        struct sbx_peer peer; /* first: the sandbox sees us as this */
        struct api_ingress *ing;
        struct ing_sbx *next;
        struct sbx *sbx;
        char id[RT_ID_LEN + 1];
        struct ing_domain domains[AL_MAX_EXPOSED_DOMAINS];
        unsigned n_domains;
        struct ing_conn *conns;
        unsigned n_conns;
        bool attaching, refused;
};

enum ing_state {
        ING_CONNECTING, /* the client waits (not read) while we dial into the sandbox */
        ING_RELAY,
        ING_REPLY, /* an error of ours goes out, then the connection closes */
};

struct ing_conn {
        struct ing_conn *next, *prev;
        struct api_ingress *ing;
        struct ing_sbx *owner; /* NULL for a name no sandbox owns */
        struct bufferevent *client, *up;
        enum ing_state state;
        char name[ING_MAX_DOMAIN]; /* as logged: the label, or the escaped Host of a stranger */
        char peer[INET6_ADDRSTRLEN + 8];
        uint16_t port;
        bool tls, client_eof, up_eof, up_shut, lingering, tried_v6;
        int status; /* our error reply, or 0 */
        uint64_t bytes_in, bytes_out;
        struct timeval start;
};

struct api_ingress {
        struct event_base *base;
        char host[API_INGRESS_HOST_MAX + 1];
        char base_name[API_INGRESS_HOST_MAX + 8]; /* host[:port] */
        char ca_path[PATH_MAX];
        struct net_ca ca;
        SSL_CTX *tls;
        struct event *remint;
        struct ing_sbx *sandboxes;
};

/* --- certificates ---------------------------------------------------------- */

static int tls_mint(struct api_ingress *ing, struct al_error *err)
{
        char wild[API_INGRESS_HOST_MAX + 3];
        const char *names[] = { wild, ing->host, "localhost", "127.0.0.1", "::1" };
        EVP_PKEY *key = net_key_new();
        X509 *leaf = NULL;
        int r;

        if (!key)
                return al_error_setx(err, ENOMEM, "make the ingress key");
        snprintf(wild, sizeof(wild), "*.%s", ing->host);
        r = net_cert_mint(&ing->ca, key, names, sizeof(names) / sizeof(names[0]), ING_LEAF_DAYS, &leaf, err);
        if (r >= 0 && (SSL_CTX_use_certificate(ing->tls, leaf) != 1 || SSL_CTX_use_PrivateKey(ing->tls, key) != 1 ||
                       SSL_CTX_check_private_key(ing->tls) != 1))
                r = al_error_setx(err, EINVAL, "the minted ingress certificate does not load");
        X509_free(leaf);
        EVP_PKEY_free(key);
        return r;
}

static void on_remint(evutil_socket_t fd, short what, void *arg)
{
        struct api_ingress *ing = arg;
        struct al_error err = { 0 };

        if (tls_mint(ing, &err) < 0) /* the old leaf has ING_LEAF_DAYS - 1 days left */
                al_log(AL_LOG_ERROR, "ingress", "cannot re-mint the certificate", "error", err.msg, NULL);
}

static int tls_setup(struct api_ingress *ing, const char *state_dir, struct al_error *err)
{
        char dir[PATH_MAX];
        struct timeval day = { ING_REMINT_S, 0 };
        int r;

        snprintf(dir, sizeof(dir), "%s/ingress-ca", state_dir);
        snprintf(ing->ca_path, sizeof(ing->ca_path), "%s/ca.crt", dir);
        r = net_ca_load_or_create(&ing->ca, dir, ING_CA_NAME, (uid_t)-1, err);
        if (r < 0)
                return r;
        /* ca.crt is for every user of the SDK to trust; ca.key stays 0400. */
        if (chmod(dir, 0755) < 0)
                return al_error_set(err, errno, "chmod %s", dir);
        ing->tls = SSL_CTX_new(TLS_server_method());
        if (!ing->tls)
                return al_error_setx(err, ENOMEM, "make the ingress TLS context");
        SSL_CTX_set_min_proto_version(ing->tls, TLS1_2_VERSION);
        r = tls_mint(ing, err);
        if (r < 0)
                return r;
        ing->remint = event_new(ing->base, -1, EV_PERSIST, on_remint, ing);
        if (!ing->remint || event_add(ing->remint, &day) < 0)
                return al_error_setx(err, ENOMEM, "schedule the ingress certificate's renewal");
        return 0;
}

/* With an operator certificate: names under the base get ours instead. */
static int on_servername(SSL *ssl, int *alert, void *arg)
{
        struct api_ingress *ing = arg;
        const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        char label[API_INGRESS_LABEL_MAX + 1];

        if (name && (api_ingress_label(name, ing->host, label) != 0 || strcasecmp(name, ing->host) == 0))
                SSL_set_SSL_CTX(ssl, ing->tls);
        return SSL_TLSEXT_ERR_OK;
}

/* --- logging --------------------------------------------------------------- */

/* Client-controlled text in a log line or a reply: printable, no quotes. */
static void escape(char *out, size_t cap, const char *in)
{
        size_t o = 0;

        for (const char *p = in; *p && o + 1 < cap; p++)
                out[o++] = *p > 0x20 && *p < 0x7f && *p != '"' && *p != '\\' ? *p : '?';
        out[o] = '\0';
}

static long long elapsed_ms(const struct timeval *start)
{
        struct timeval now;

        gettimeofday(&now, NULL);
        return (long long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_usec - start->tv_usec) / 1000;
}

/* One line per connection, when it ends. status is our error reply's, or
 * "relayed" (the sandbox's server answered, in bytes we do not parse). */
static void conn_log(const struct ing_conn *ic, const char *msg)
{
        char status[16], port[8], in[24], out[24], ms[24];

        if (ic->status)
                snprintf(status, sizeof(status), "%d", ic->status);
        else
                snprintf(status, sizeof(status), "relayed");
        snprintf(port, sizeof(port), "%u", ic->port);
        snprintf(in, sizeof(in), "%llu", (unsigned long long)ic->bytes_in);
        snprintf(out, sizeof(out), "%llu", (unsigned long long)ic->bytes_out);
        snprintf(ms, sizeof(ms), "%lld", (long long)elapsed_ms(&ic->start));
        al_log(AL_LOG_INFO, "ingress", msg, "sandbox", ic->owner ? ic->owner->id : "-", "domain", ic->name, "port",
               port, "client", ic->peer[0] ? ic->peer : "?", "tls", ic->tls ? "yes" : "no", "status", status,
               "bytes_in", in, "bytes_out", out, "ms", ms, NULL);
}

/* --- connections ----------------------------------------------------------- */

static void conn_end(struct ing_conn *ic, const char *msg)
{
        conn_log(ic, msg);
        if (ic->owner) {
                if (ic->prev)
                        ic->prev->next = ic->next;
                else
                        ic->owner->conns = ic->next;
                if (ic->next)
                        ic->next->prev = ic->prev;
                ic->owner->n_conns--;
        }
        if (ic->up)
                bufferevent_free(ic->up);
        bufferevent_free(ic->client);
        free(ic);
}

static size_t out_len(struct bufferevent *bev)
{
        return evbuffer_get_length(bufferevent_get_output(bev));
}

static void set_reading(struct bufferevent *bev, bool on)
{
        bool now = bufferevent_get_enabled(bev) & EV_READ;

        if (on && !now)
                bufferevent_enable(bev, EV_READ);
        else if (!on && now)
                bufferevent_disable(bev, EV_READ);
}

/* Backpressure: each side is read only while the other's queue has room. */
static void flow(struct ing_conn *ic)
{
        if (ic->state != ING_RELAY)
                return;
        set_reading(ic->client, !ic->client_eof && !ic->up_eof && out_len(ic->up) < AL_INGRESS_HIGH_WATER);
        set_reading(ic->up, !ic->up_eof && out_len(ic->client) < AL_INGRESS_HIGH_WATER);
}

static size_t move(struct bufferevent *from, struct bufferevent *to)
{
        struct evbuffer *in = bufferevent_get_input(from);
        size_t n = evbuffer_get_length(in);

        evbuffer_add_buffer(bufferevent_get_output(to), in);
        return n;
}

static void reply(struct ing_conn *ic, int status, const char *reason, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void reply(struct ing_conn *ic, int status, const char *reason, const char *fmt, ...)
{
        char body[AL_MAX_ERRMSG];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(body, sizeof(body), fmt, ap);
        va_end(ap);
        if (ic->up)
                bufferevent_free(ic->up);
        ic->up = NULL;
        ic->state = ING_REPLY;
        ic->status = status;
        evbuffer_drain(bufferevent_get_input(ic->client), evbuffer_get_length(bufferevent_get_input(ic->client)));
        evbuffer_add_printf(bufferevent_get_output(ic->client),
                            "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                            "X-Content-Type-Options: nosniff\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                            status, reason, strlen(body) + 1, body);
        bufferevent_setwatermark(ic->client, EV_WRITE, 0, 0);
        bufferevent_enable(ic->client, EV_READ | EV_WRITE);
}

/* After an error reply: stop sending, and read what the client still sends
 * for a moment, so that closing does not reset the reply away. */
static void linger(struct ing_conn *ic)
{
        struct timeval tv = { ING_LINGER_S, 0 };

        ic->lingering = true;
        shutdown(bufferevent_getfd(ic->client), SHUT_WR);
        bufferevent_set_timeouts(ic->client, &tv, NULL);
}

static void on_client_read(struct bufferevent *bev, void *arg)
{
        struct ing_conn *ic = arg;

        if (ic->state != ING_RELAY) { /* a reply's leftovers */
                evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
                return;
        }
        ic->bytes_in += move(bev, ic->up);
        flow(ic);
}

static void on_client_write(struct bufferevent *bev, void *arg)
{
        struct ing_conn *ic = arg;

        if (out_len(bev) == 0 && ic->state == ING_REPLY && !ic->lingering)
                linger(ic);
        else if (out_len(bev) == 0 && ic->state == ING_RELAY && ic->up_eof)
                conn_end(ic, "closed by the sandbox");
        else
                flow(ic);
}

static void up_shutdown_if_flushed(struct ing_conn *ic)
{
        if (ic->client_eof && !ic->up_shut && out_len(ic->up) == 0) {
                ic->up_shut = true;
                shutdown(bufferevent_getfd(ic->up), SHUT_WR);
        }
}

static void on_client_event(struct bufferevent *bev, short what, void *arg)
{
        struct ing_conn *ic = arg;

        if (ic->state == ING_REPLY) {
                conn_end(ic, ic->status == 404 ? "unknown domain" : "refused");
        } else if ((what & BEV_EVENT_EOF) && ic->state == ING_RELAY && !ic->tls) {
                /* The client is done sending: pass that on, keep answering.
                 * Not over TLS: libevent stops writing there at the first EOF
                 * (a reset looks like one), so nothing more could go out. */
                ic->bytes_in += move(bev, ic->up);
                ic->client_eof = true;
                set_reading(bev, false);
                up_shutdown_if_flushed(ic);
        } else {
                conn_end(ic, what & BEV_EVENT_EOF ? "closed by the client" : "client error");
        }
}

static void on_up_read(struct bufferevent *bev, void *arg)
{
        struct ing_conn *ic = arg;

        ic->bytes_out += move(bev, ic->client);
        flow(ic);
}

static void on_up_write(struct bufferevent *bev, void *arg)
{
        struct ing_conn *ic = arg;

        up_shutdown_if_flushed(ic);
        flow(ic);
}

static int up_open(struct ing_conn *ic, int family, struct al_error *err);

static void on_connected(struct ing_conn *ic)
{
        ic->state = ING_RELAY;
        bufferevent_set_timeouts(ic->up, NULL, NULL);
        bufferevent_setwatermark(ic->up, EV_WRITE, AL_INGRESS_HIGH_WATER / 2, 0);
        bufferevent_setwatermark(ic->client, EV_WRITE, AL_INGRESS_HIGH_WATER / 2, 0);
        bufferevent_enable(ic->up, EV_WRITE);
        bufferevent_enable(ic->client, EV_WRITE);
        ic->bytes_in += move(ic->client, ic->up); /* the request head, and what came with it */
        flow(ic);
}

static void on_up_event(struct bufferevent *bev, short what, void *arg)
{
        struct ing_conn *ic = arg;

        if (ic->state == ING_CONNECTING && (what & BEV_EVENT_CONNECTED)) {
                on_connected(ic);
        } else if (ic->state == ING_CONNECTING) {
                /* Servers bound to "localhost" may listen on ::1 alone. */
                struct al_error err = { 0 };
                if (!(what & BEV_EVENT_TIMEOUT) && !ic->tried_v6 && up_open(ic, AF_INET6, &err) == 0)
                        return;
                if (what & BEV_EVENT_TIMEOUT)
                        reply(ic, 502, "Bad Gateway", "port %u in sandbox %s did not accept the connection within %d s",
                              ic->port, ic->owner->id, ING_CONNECT_TIMEOUT_S);
                else
                        reply(ic, 502, "Bad Gateway",
                              "nothing listens on port %u in sandbox %s (start a server on 127.0.0.1:%u there)",
                              ic->port, ic->owner->id, ic->port);
        } else if (what & BEV_EVENT_EOF) {
                ic->bytes_out += move(bev, ic->client);
                ic->up_eof = true;
                set_reading(ic->client, false);
                if (out_len(ic->client) == 0)
                        conn_end(ic, "closed by the sandbox");
        } else {
                conn_end(ic, "sandbox side error");
        }
}

/* Dial 127.0.0.1:port (or [::1]:port) from inside the sandbox's network namespace. */
static int up_open(struct ing_conn *ic, int family, struct al_error *err)
{
        struct sockaddr_in in4 = { .sin_family = AF_INET,
                                   .sin_port = htons(ic->port),
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct sockaddr_in6 in6 = { .sin6_family = AF_INET6,
                                    .sin6_port = htons(ic->port),
                                    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        struct timeval tv = { ING_CONNECT_TIMEOUT_S, 0 };
        int fd;

        if (ic->up)
                bufferevent_free(ic->up);
        ic->up = NULL;
        ic->tried_v6 = family == AF_INET6;
        fd = rt_sandbox_socket(sbx_rt(ic->owner->sbx), family, SOCK_STREAM | SOCK_NONBLOCK, err);
        if (fd < 0)
                return fd;
        ic->up = bufferevent_socket_new(ic->ing->base, fd, BEV_OPT_CLOSE_ON_FREE);
        if (!ic->up) {
                close(fd);
                return al_error_setx(err, ENOMEM, "allocate a connection");
        }
        bufferevent_setcb(ic->up, on_up_read, on_up_write, on_up_event, ic);
        bufferevent_set_timeouts(ic->up, NULL, &tv); /* a connect waits for writability */
        if (bufferevent_socket_connect(ic->up, family == AF_INET6 ? (struct sockaddr *)&in6 : (struct sockaddr *)&in4,
                                       family == AF_INET6 ? (int)sizeof(in6) : (int)sizeof(in4)) < 0) {
                bufferevent_free(ic->up);
                ic->up = NULL;
                return al_error_setx(err, ECONNREFUSED, "connect to port %u", ic->port);
        }
        return 0;
}

/* --- the registry ---------------------------------------------------------- */

static struct ing_domain *find_domain(struct api_ingress *ing, const char *label, struct ing_sbx **ret_owner)
{
        for (struct ing_sbx *is = ing->sandboxes; is; is = is->next)
                for (unsigned i = 0; i < is->n_domains; i++)
                        if (strcmp(is->domains[i].label, label) == 0) {
                                *ret_owner = is;
                                return &is->domains[i];
                        }
        return NULL;
}

static struct ing_conn *conn_new(struct api_ingress *ing, struct bufferevent *bev)
{
        struct ing_conn *ic = calloc(1, sizeof(*ic));
        struct sockaddr_storage ss = { 0 };
        socklen_t sl = sizeof(ss);
        char addr[INET6_ADDRSTRLEN] = "?";

        if (!ic)
                return NULL;
        ic->ing = ing;
        ic->client = bev;
        ic->tls = bufferevent_openssl_get_ssl(bev) != NULL;
        gettimeofday(&ic->start, NULL);
        if (getpeername(bufferevent_getfd(bev), (struct sockaddr *)&ss, &sl) == 0) {
                bool v6 = ss.ss_family == AF_INET6;
                inet_ntop(ss.ss_family,
                          v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                             : (void *)&((struct sockaddr_in *)&ss)->sin_addr,
                          addr, sizeof(addr));
                // NOLINTBEGIN(clang-analyzer-core.CallAndMessage): getpeername() filled ss
                snprintf(ic->peer, sizeof(ic->peer), v6 ? "[%s]:%u" : "%s:%u", addr,
                         ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port));
                // NOLINTEND(clang-analyzer-core.CallAndMessage)
        }
        if (ic->tls)
                bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
        bufferevent_setcb(bev, on_client_read, on_client_write, on_client_event, ic);
        bufferevent_set_timeouts(bev, NULL, NULL);
        bufferevent_disable(bev, EV_READ); /* until the sandbox side answers */
        return ic;
}

static void conn_attach(struct ing_conn *ic, struct ing_sbx *is, const struct ing_domain *d)
{
        ic->owner = is;
        ic->port = d->port;
        ic->next = is->conns;
        if (is->conns)
                is->conns->prev = ic;
        is->conns = ic;
        is->n_conns++;
}

bool api_ingress_claim(struct api_ingress *ing, struct bufferevent *bev, const char *host)
{
        char label[API_INGRESS_LABEL_MAX + 1];
        SSL *ssl = bufferevent_openssl_get_ssl(bev);
        const char *name = host ? host : ssl ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : NULL;
        struct ing_sbx *is = NULL;
        struct ing_domain *d;
        struct ing_conn *ic;
        struct al_error err = { 0 };
        int r;

        if (!name || (r = api_ingress_label(name, ing->host, label)) == 0)
                return false;
        ic = conn_new(ing, bev);
        if (!ic) {
                bufferevent_free(bev);
                return true;
        }
        d = r > 0 ? find_domain(ing, label, &is) : NULL;
        if (!d) {
                escape(ic->name, sizeof(ic->name), name);
                reply(ic, 404, "Not Found", "no sandbox exposes %s: the domain is unknown, or its sandbox has ended",
                      ic->name);
                return true;
        }
        snprintf(ic->name, sizeof(ic->name), "%s.%s", d->label, ing->base_name);
        if (is->n_conns >= AL_MAX_INGRESS_CONNS) {
                ic->port = d->port;
                reply(ic, 503, "Service Unavailable",
                      "sandbox %s has %u open connections to its exposed ports (the limit)", is->id,
                      AL_MAX_INGRESS_CONNS);
                return true;
        }
        conn_attach(ic, is, d);
        if (!d->port) {
                reply(ic, 502, "Bad Gateway", "%s is not bound to a port yet (the exposeHttp call binds it)", ic->name);
        } else if (up_open(ic, AF_INET, &err) < 0) {
                al_log(AL_LOG_ERROR, "ingress", "cannot connect into the sandbox", "sandbox", is->id, "error", err.msg,
                       NULL);
                reply(ic, 502, "Bad Gateway", "cannot open a connection into sandbox %s", is->id);
        }
        return true;
}

/* --- sandboxes ------------------------------------------------------------- */

static void peer_send(struct sbx_peer *p, json_t *msg)
{
        json_decref(msg); /* we make no calls: nothing comes back */
}

static size_t peer_backlog(struct sbx_peer *p)
{
        return 0;
}

/* The sandbox ends: its domains stop resolving, its connections close. */
static void peer_close(struct sbx_peer *p, int code, const char *reason)
{
        struct ing_sbx *is = (struct ing_sbx *)p;

        if (is->attaching) { /* sbx_attach found no room: the caller frees us */
                is->refused = true;
                return;
        }
        while (is->conns) /* every conn on the list has its owner set (conn_new) */
                // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): conn_end() unlinks it first (its owner is set: conn_new)
                conn_end(is->conns, "sandbox ended");
        for (struct ing_sbx **pp = &is->ing->sandboxes; *pp; pp = &(*pp)->next)
                if (*pp == is) {
                        *pp = is->next;
                        break;
                }
        free(is);
}

static struct ing_sbx *sbx_state(struct api_ingress *ing, struct sbx *s, struct al_error *err)
{
        struct ing_sbx *is;

        for (is = ing->sandboxes; is; is = is->next)
                if (is->sbx == s)
                        return is;
        is = calloc(1, sizeof(*is));
        if (!is) {
                al_error_set(err, ENOMEM, "allocate the sandbox's exposures");
                return NULL;
        }
        is->peer = (struct sbx_peer){ .send = peer_send, .backlog = peer_backlog, .close = peer_close };
        is->ing = ing;
        is->sbx = s;
        snprintf(is->id, sizeof(is->id), "%s", sbx_id(s));
        is->attaching = true;
        sbx_attach(s, &is->peer, false);
        is->attaching = false;
        if (is->refused) {
                free(is);
                al_error_setx(err, EBUSY, "sandbox %s has too many connections to take one more", sbx_id(s));
                return NULL;
        }
        is->next = ing->sandboxes;
        ing->sandboxes = is;
        return is;
}

static int random_label(const char *id, char label[API_INGRESS_LABEL_MAX + 1], struct al_error *err)
{
        uint8_t rnd[8], b;
        size_t n = 0;

        while (n < sizeof(rnd)) { /* 252 = 7 * 36: every character equally likely */
                if (getrandom(&b, 1, 0) != 1)
                        return al_error_set(err, errno, "getrandom");
                if (b < 252)
                        rnd[n++] = b;
        }
        api_ingress_label_make(id, rnd, label);
        return 0;
}

/* The sandbox's domains, kept for the next airlockd (api_ingress_restore). */
static void save(struct ing_sbx *is)
{
        json_t *arr = json_array();

        for (unsigned i = 0; i < is->n_domains; i++)
                json_array_append_new(arr, json_pack("{s:s,s:i}", "label", is->domains[i].label, "port",
                                                     (int)is->domains[i].port));
        (void)sbx_state_set(is->sbx, "exposures", arr);
}

void api_ingress_restore(struct api_ingress *ing, struct sbx *s)
{
        json_t *arr = sbx_state_get(s, "exposures"), *e;
        struct al_error err = { 0 };
        struct ing_sbx *is;
        size_t i;

        if (!json_array_size(arr) || !(is = sbx_state(ing, s, &err)))
                return;
        json_array_foreach (arr, i, e) {
                const char *label = json_string_value(json_object_get(e, "label"));
                json_int_t port = json_integer_value(json_object_get(e, "port"));
                struct ing_sbx *other;
                if (is->n_domains >= AL_MAX_EXPOSED_DOMAINS || !label || strlen(label) > API_INGRESS_LABEL_MAX ||
                    port < 0 || port > 65535 || find_domain(ing, label, &other))
                        continue;
                struct ing_domain *d = &is->domains[is->n_domains++];
                snprintf(d->label, sizeof(d->label), "%s", label);
                d->port = (uint16_t)port;
        }
}

int api_ingress_domain_new(struct api_ingress *ing, struct sbx *s, char *ret, size_t len, struct al_error *err)
{
        struct ing_sbx *is = sbx_state(ing, s, err), *other;
        struct ing_domain *d;
        int r;

        if (!is)
                return -err->code;
        if (is->n_domains >= AL_MAX_EXPOSED_DOMAINS)
                return al_error_setx(err, E2BIG, "sandbox %s has %d exposed domains already (the limit)", is->id,
                                     AL_MAX_EXPOSED_DOMAINS);
        d = &is->domains[is->n_domains];
        do {
                r = random_label(is->id, d->label, err);
                if (r < 0)
                        return r;
        } while (find_domain(ing, d->label, &other)); /* d is not counted yet */
        d->port = 0;
        is->n_domains++;
        snprintf(ret, len, "%s.%s", d->label, ing->base_name);
        save(is);
        return 0;
}

static json_t *rpc_error(const char *cls, const char *code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static json_t *rpc_error(const char *cls, const char *code, const char *fmt, ...)
{
        char msg[AL_MAX_ERRMSG];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return json_pack("{s:o}", "error", sbx_error_object(cls, msg, code));
}

json_t *api_ingress_expose(struct api_ingress *ing, struct sbx *s, json_t *params)
{
        const char *domain = json_string_value(json_object_get(params, "domain"));
        json_t *port = json_object_get(params, "port"), *pid = json_object_get(params, "pid");
        int pid_port = -ENOENT;
        char label[API_INGRESS_LABEL_MAX + 1], shown[ING_MAX_DOMAIN];
        struct ing_sbx *is = NULL;
        struct ing_domain *d;

        if (!domain)
                return rpc_error("TypeError", "EINVAL", "exposeHttp: domain must be a string");
        /* A Deno process's server: the port its denoHttpWait saw it listen on. */
        if (!port && json_is_integer(pid) && (pid_port = deno_http_port(s, json_integer_value(pid))) < 0)
                return rpc_error("NotFound", "ENOENT",
                                 "exposeHttp: process %lld serves no HTTP (yet): await its httpReady first",
                                 (long long)json_integer_value(pid));
        json_int_t pv = pid_port > 0 ? pid_port : json_is_integer(port) ? json_integer_value(port) : 0;
        if (pv < 1 || pv > 65535)
                return rpc_error("TypeError", "EINVAL", "exposeHttp: port must be an integer in 1..65535");
        escape(shown, sizeof(shown), domain);
        d = api_ingress_label(domain, ing->host, label) > 0 ? find_domain(ing, label, &is) : NULL;
        if (!d || is->sbx != s)
                return rpc_error("NotFound", "ENOENT",
                                 "exposeHttp: %s was not handed out for sandbox %s "
                                 "(POST /api/v3/sandbox/%s/expose/http gives a domain)",
                                 shown, sbx_id(s), sbx_id(s));
        d->port = (uint16_t)pv;
        save(is);
        char fqdn[512], port_s[8];
        snprintf(fqdn, sizeof(fqdn), "%s.%s", d->label, ing->base_name);
        snprintf(port_s, sizeof(port_s), "%u", d->port);
        al_log(AL_LOG_INFO, "ingress", "exposed", "sandbox", is->id, "domain", fqdn, "port", port_s, NULL);
        return json_pack("{s:n}", "ok");
}

/* --- setup ----------------------------------------------------------------- */

int api_ingress_new(struct event_base *base, const struct api_ingress_config *cfg, struct api_ingress **ret,
                    struct al_error *err)
{
        struct api_ingress *ing = calloc(1, sizeof(*ing));
        int r;

        if (!ing)
                return al_error_set(err, ENOMEM, "allocate the ingress");
        ing->base = base;
        snprintf(ing->host, sizeof(ing->host), "%s", cfg->host ? cfg->host : API_INGRESS_DEFAULT_HOST);
        if (cfg->port)
                snprintf(ing->base_name, sizeof(ing->base_name), "%s:%u", ing->host, cfg->port);
        else
                snprintf(ing->base_name, sizeof(ing->base_name), "%s", ing->host);
        r = tls_setup(ing, cfg->state_dir, err);
        if (r < 0) {
                al_error_wrap(err, "ingress certificate");
                api_ingress_free(ing);
                return r;
        }
        if (cfg->operator_tls) {
                SSL_CTX_set_tlsext_servername_callback(cfg->operator_tls, on_servername);
                SSL_CTX_set_tlsext_servername_arg(cfg->operator_tls, ing);
        }
        *ret = ing;
        return 0;
}

void api_ingress_free(struct api_ingress *ing)
{
        if (!ing)
                return;
        /* Sandboxes end first (sbx_kill_all), which frees their state; any
         * left would hold a peer slot in a sandbox that outlives us. */
        while (ing->sandboxes) {
                struct ing_sbx *is = ing->sandboxes;
                ing->sandboxes = is->next;
                while (is->conns)
                        // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): conn_end() unlinks it first (its owner is set: conn_new)
                        conn_end(is->conns, "server shutting down");
                free(is);
        }
        if (ing->remint)
                event_free(ing->remint);
        SSL_CTX_free(ing->tls);
        net_ca_release(&ing->ca);
        free(ing);
}

const char *api_ingress_ca_path(const struct api_ingress *ing)
{
        return ing->ca_path;
}

const char *api_ingress_base(const struct api_ingress *ing)
{
        return ing->base_name;
}

SSL_CTX *api_ingress_tls(const struct api_ingress *ing)
{
        return ing->tls;
}
