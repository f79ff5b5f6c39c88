/* SPDX-License-Identifier: Apache-2.0 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <http_parser.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "common/b64.h"
#include "common/limits.h"
#include "common/log.h"
#include "common/metrics.h"
#include "console.h"
#include "rest.h"
#include "sbxsnap.h"
#include "sandbox/egress.h"
#include "sandbox/live.h"
#include "http.h"
#include "ingress.h"
#include "rpc.h"
#include "server.h"
#include "ssh.h"

#define API_MAX_WS_MSG (100ull * 1024 * 1024) /* the SDK's own limit */
#define API_WS_LOW_WATER (256u * 1024u)
#define API_MAX_BACKLOG (256u * 1024u * 1024u) /* queued toward one client */
#define API_FIRST_BYTE_TIMEOUT_S 30            /* a connection that never says whether it speaks TLS */
#define API_TLS_HANDSHAKE 0x16                 /* the first byte of every TLS connection */

struct api_server {
        struct event_base *base;
        struct evconnlistener *listener;
        const struct api_config *cfg;
        SSL_CTX *tls; /* the operator's certificate, or NULL: the ingress's */
        struct api_ingress *ingress;
};

enum conn_state {
        CONN_HTTP,
        CONN_WS,
        CONN_CLOSING,
        CONN_WAIT /* a slow REST answer (a snapshot) */
};

struct conn {
        struct sbx_peer peer; /* first: the sandbox sees us as this */
        struct api_server *srv;
        struct bufferevent *bev;
        enum conn_state state;
        struct api_http_req req;
        wslay_event_context_ptr ws;
        struct sbx *sbx;
        struct store_token token;  /* who is asking (after token_ok) */
        struct api_snap_job *snap; /* CONN_WAIT: the snapshot it waits for */
        bool closing_after_write;
        size_t held; /* bytes of the first head kept in the input for the ingress */
};

/* --- small HTTP helpers --------------------------------------------------- */

static void send_json_response(struct conn *c, int status, const char *reason, json_t *body, const char *extra_headers)
{
        char *text = json_dumps(body, JSON_COMPACT);
        struct evbuffer *out = bufferevent_get_output(c->bev);

        evbuffer_add_printf(out,
                            "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                            "Connection: close\r\n%s\r\n%s",
                            status, reason, text ? strlen(text) : 0, extra_headers ? extra_headers : "",
                            text ? text : "");
        free(text);
        json_decref(body);
        c->state = CONN_CLOSING;
        c->closing_after_write = true;
}

static void send_error(struct conn *c, int status, const char *reason, const char *code, const char *msg)
{
        send_json_response(c, status, reason, json_pack("{s:s,s:s}", "code", code, "message", msg), NULL);
}

static const char *reason_phrase(int status)
{
        switch (status) {
        case 200:
                return "OK";
        case 201:
                return "Created";
        case 400:
                return "Bad Request";
        case 401:
                return "Unauthorized";
        case 403:
                return "Forbidden";
        case 404:
                return "Not Found";
        case 405:
                return "Method Not Allowed";
        case 409:
                return "Conflict";
        case 429:
                return "Too Many Requests";
        default:
                return status < 300 ? "OK" : "Internal Server Error";
        }
}

/* A -errno from the storage layer as an HTTP status. */
static int status_of(int r)
{
        return r == -EINVAL ? 400 : r == -ENOENT ? 404 : r == -EBUSY || r == -EEXIST ? 409 : 500;
}

/* Looked up on every request: a revoked token stops working at once. */
static bool token_ok(struct conn *c)
{
        if (!c->req.auth || strncmp(c->req.auth, "Bearer ", 7) != 0)
                return false;
        return store_token_check(c->srv->cfg->store, c->req.auth + 7, &c->token) == 0;
}

/* A sandbox another token made does not exist for this one (SEC-55). */
static struct sbx *find_own(struct conn *c, const char *id)
{
        struct sbx *s = sbx_find(id);

        return s && strcmp(sbx_token_id(s), c->token.id) == 0 ? s : NULL;
}

/* --- WebSocket ------------------------------------------------------------ */

static ssize_t ws_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
        struct conn *c = user;
        struct evbuffer *in = bufferevent_get_input(c->bev);
        int n = evbuffer_remove(in, buf, len);

        if (n <= 0) {
                wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
                return -1;
        }
        return n;
}

static ssize_t ws_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user)
{
        struct conn *c = user;
        if (bufferevent_write(c->bev, data, len) < 0) {
                wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
                return -1;
        }
        return (ssize_t)len;
}

static void ws_flush(struct conn *c)
{
        if (c->ws && wslay_event_want_write(c->ws))
                wslay_event_send(c->ws);
}

static void ws_text(struct conn *c, const char *text, size_t len)
{
        struct wslay_event_msg msg = { .opcode = WSLAY_TEXT_FRAME, .msg = (const uint8_t *)text, .msg_length = len };
        if (c->ws && c->state == CONN_WS)
                wslay_event_queue_msg(c->ws, &msg);
}

static void peer_close(struct sbx_peer *p, int code, const char *reason);
static void conn_close(struct conn *c, int code, const char *reason);

static void peer_send(struct sbx_peer *p, json_t *msg)
{
        struct conn *c = (struct conn *)p;
        char *text;

        /* Process output waits for a slow client (held acks); everything else
         * it asked for may queue up to a cap, and then the client is cut off. */
        if (c->state != CONN_WS || evbuffer_get_length(bufferevent_get_output(c->bev)) > API_MAX_BACKLOG) {
                json_decref(msg);
                if (c->state == CONN_WS)
                        conn_close(c, 1008, "client is not reading its messages");
                return;
        }
        text = json_dumps(msg, JSON_COMPACT);
        json_decref(msg);
        if (!text)
                return;
        ws_text(c, text, strlen(text));
        free(text);
        ws_flush(c);
}

static size_t peer_backlog(struct sbx_peer *p)
{
        struct conn *c = (struct conn *)p;
        return evbuffer_get_length(bufferevent_get_output(c->bev));
}

/* Our own decision to close (bad traffic, a client not reading): leave the
 * sandbox first, which ends a session sandbox whose creator this was. */
static void conn_close(struct conn *c, int code, const char *reason)
{
        if (c->sbx) {
                struct sbx *s = c->sbx;
                c->sbx = NULL;
                sbx_detach(s, &c->peer);
        }
        c->peer.close(&c->peer, code, reason);
}

/* The sandbox closes us (it is going): do not call back into it. */
static void peer_close(struct sbx_peer *p, int code, const char *reason)
{
        struct conn *c = (struct conn *)p;

        c->sbx = NULL;
        if (c->ws && c->state == CONN_WS) {
                wslay_event_queue_close(c->ws, (uint16_t)code, (const uint8_t *)reason, strlen(reason));
                ws_flush(c);
        }
        c->state = CONN_CLOSING;
        c->closing_after_write = true;
}

static void rpc_error(struct conn *c, json_t *id, int code, const char *message)
{
        peer_send(&c->peer, json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error",
                                      "code", code, "message", message));
}

static void on_ws_message(struct conn *c, const uint8_t *data, size_t len)
{
        struct api_rpc_msg m;

        api_rpc_parse(data, len, &m);
        switch (m.kind) {
        case API_RPC_PING:
                ws_text(c, "pong", 4);
                break;
        case API_RPC_BAD_JSON:
                conn_close(c, 4000, "Invalid JSON");
                break;
        case API_RPC_BAD_REQUEST:
                if (m.id)
                        rpc_error(c, m.id, -32600, "Invalid Request");
                break;
        case API_RPC_BAD_PARAMS:
                rpc_error(c, m.id, -32602, "Invalid params");
                break;
        case API_RPC_NOTIFICATION:
                if (c->sbx && strncmp(m.method, "$sandbox.stream.", 16) == 0 && m.params)
                        sbx_stream_note(c->sbx, &c->peer, m.method, m.params);
                break;
        case API_RPC_REQUEST:
                if (c->sbx && strcmp(m.method, "exposeHttp") == 0)
                        peer_send(&c->peer,
                                  sbx_rpc_result(m.id, api_ingress_expose(c->srv->ingress, c->sbx, m.params)));
                else if (c->sbx)
                        sbx_rpc(c->sbx, &c->peer, m.id, m.method, m.params);
                else
                        rpc_error(c, m.id, -32000, "the sandbox is gone");
                break;
        }
        api_rpc_msg_free(&m);
}

static void ws_on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
        struct conn *c = user;

        if (arg->opcode == WSLAY_TEXT_FRAME || arg->opcode == WSLAY_BINARY_FRAME)
                on_ws_message(c, arg->msg, arg->msg_length);
        else if (arg->opcode == WSLAY_CONNECTION_CLOSE && c->sbx) {
                struct sbx *s = c->sbx;
                c->sbx = NULL;
                sbx_detach(s, &c->peer);
        }
}

static int ws_start(struct conn *c)
{
        static const struct wslay_event_callbacks cb = {
                .recv_callback = ws_recv,
                .send_callback = ws_send,
                .on_msg_recv_callback = ws_on_msg,
        };
        if (wslay_event_context_server_init(&c->ws, &cb, c) != 0)
                return -ENOMEM;
        wslay_event_config_set_max_recv_msg_length(c->ws, API_MAX_WS_MSG);
        c->state = CONN_WS;
        return 0;
}

static void send_upgrade(struct conn *c, const char *sandbox_id)
{
        static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        unsigned char sha[SHA_DIGEST_LENGTH];
        char buf[256];
        char *accept;

        snprintf(buf, sizeof(buf), "%s%s", c->req.ws_key, guid);
        SHA1((const unsigned char *)buf, strlen(buf), sha);
        accept = al_b64_encode(sha, sizeof(sha), NULL);
        evbuffer_add_printf(bufferevent_get_output(c->bev),
                            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: %s\r\nx-deno-sandbox-id: %s\r\n\r\n",
                            accept ? accept : "", sandbox_id);
        free(accept);
}

/* --- routes --------------------------------------------------------------- */

static int url_decode(const char *in, char *out, size_t len);

static bool labels_ok(json_t *labels)
{
        const char *k;
        json_t *v;

        if (!json_is_object(labels) || json_object_size(labels) > 5)
                return false;
        json_object_foreach (labels, k, v)
                if (strlen(k) > 64 || !json_is_string(v) || json_string_length(v) > 128)
                        return false;
        return true;
}

/* The routes of rest.h: volumes, snapshots, tokens. */
static bool route_rest(struct conn *c, const char *path, const char *query)
{
        char base[300], link[1100] = "";
        struct api_rest_req rq = { .method = c->req.parser.method,
                                   .path = path,
                                   .query = query,
                                   .body = c->req.body,
                                   .body_len = c->req.body_len,
                                   .token = &c->token,
                                   .base_url = base };
        struct api_rest_res rs = { 0 };
        struct store *st = c->srv->cfg->store;

        snprintf(base, sizeof(base), "%s://%s", c->srv->tls ? "https" : "http",
                 c->req.host && strlen(c->req.host) < 256 && !strpbrk(c->req.host, "\r\n<>\" ") ? c->req.host
                                                                                                : c->srv->cfg->listen);
        if (!api_tokens_route(st, &rq, &rs) && !api_console_route(st, &rq, &rs))
                return false;
        if (rs.link[0])
                snprintf(link, sizeof(link), "Link: %s\r\n", rs.link);
        send_json_response(c, rs.status, reason_phrase(rs.status), rs.body ? rs.body : json_object(), link);
        return true;
}

static void on_snapshot_done(void *arg, int status, json_t *body)
{
        struct conn *c = arg;

        c->snap = NULL;
        bufferevent_enable(c->bev, EV_READ);
        send_json_response(c, status, reason_phrase(status), body, NULL);
}

/* POST /api/airlock/v1/sandboxes/{id}/snapshot {"slug"}: answered when the
 * copy is done (sbxsnap.c); the connection reads nothing meanwhile. */
static bool route_sandbox_snapshot(struct conn *c, const char *path)
{
        static const char prefix[] = "/api/airlock/v1/sandboxes/", suffix[] = "/snapshot";
        struct api_rest_res rs = { 0 };
        char id[RT_ID_LEN + 1];
        const char *p = path + sizeof(prefix) - 1;
        struct sbx *s;

        if (strncmp(path, prefix, sizeof(prefix) - 1) != 0 || strlen(p) != RT_ID_LEN + sizeof(suffix) - 1 ||
            strcmp(p + RT_ID_LEN, suffix) != 0)
                return false;
        memcpy(id, p, RT_ID_LEN);
        id[RT_ID_LEN] = '\0';
        if (c->req.parser.method != HTTP_POST) {
                send_error(c, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "POST a {\"slug\"} here");
                return true;
        }
        if (!(s = find_own(c, id))) {
                send_error(c, 404, "Not Found", "SANDBOX_NOT_FOUND", "no such sandbox");
                return true;
        }
        c->snap = api_snapshot_sandbox(c->srv->cfg->store, s, &c->token, c->req.body, c->req.body_len, on_snapshot_done,
                                       c, &rs);
        if (!c->snap) {
                send_json_response(c, rs.status, reason_phrase(rs.status), rs.body ? rs.body : json_object(), NULL);
                return true;
        }
        c->state = CONN_WAIT;
        bufferevent_disable(c->bev, EV_READ);
        return true;
}

/* GET /api/v2/sandboxes?labels[k]=v */
static void route_list(struct conn *c, const char *query)
{
        json_t *want = json_object();
        char buf[API_MAX_URL];

        snprintf(buf, sizeof(buf), "%s", query ? query : "");
        for (char *save = NULL, *kv = strtok_r(buf, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
                char *eq = strchr(kv, '=');
                char key[256], val[256];
                if (!eq)
                        continue;
                *eq = '\0';
                if (url_decode(kv, key, sizeof(key)) < 0 || url_decode(eq + 1, val, sizeof(val)) < 0)
                        continue;
                size_t kl = strlen(key);
                if (strncmp(key, "labels[", 7) == 0 && kl > 8 && key[kl - 1] == ']') {
                        key[kl - 1] = '\0';
                        json_object_set_new(want, key + 7, json_string(val));
                }
        }
        send_json_response(c, 200, "OK", store_sandbox_list(c->srv->cfg->store, c->token.id, want), NULL);
        json_decref(want);
}

static int url_decode(const char *in, char *out, size_t len)
{
        size_t o = 0;
        for (const char *p = in; *p; p++) {
                if (o + 1 >= len)
                        return -1;
                if (*p == '%' && p[1] && p[2]) {
                        char hex[3] = { p[1], p[2], 0 };
                        out[o++] = (char)strtol(hex, NULL, 16);
                        p += 2;
                } else {
                        out[o++] = *p == '+' ? ' ' : *p;
                }
        }
        out[o] = '\0';
        return 0;
}

/* allow_net and secrets: checked here so that a bad entry is a 400 naming
 * it; the secrets come back with their placeholders. */
static bool net_config_ok(struct conn *c, json_t *cfg, json_t **ret_allow, json_t **ret_secrets)
{
        struct al_error err = { 0 };
        json_t *allow = json_object_get(cfg, "allow_net");

        if (egress_config_check(allow, json_object_get(cfg, "secrets"), ret_secrets, &err) < 0) {
                send_error(c, 400, "Bad Request", "INVALID_CONFIG", err.msg);
                return false;
        }
        *ret_allow = json_incref(allow);
        return true;
}

/* The door opens (policy, secrets) before the client can run anything; the
 * sandbox's environment carries each secret's placeholder. */
static int open_door(struct sbx *s, json_t *allow, json_t *secrets, struct al_error *err)
{
        size_t i;
        json_t *v;
        int r = egress_add(sbx_id(s), sbx_rt(s), allow, secrets, err);

        if (r < 0)
                return r;
        json_array_foreach (secrets, i, v)
                sbx_env_set(s, json_string_value(json_object_get(v, "name")),
                            json_string_value(json_object_get(v, "placeholder")));
        return 0;
}

static int64_t now_ms_wall(void)
{
        struct timespec t;

        clock_gettime(CLOCK_REALTIME, &t);
        return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* What a restarted airlockd needs to take the sandbox back (sbx_adopt). */
static json_t *sandbox_state(int64_t stop_at, json_t *allow, json_t *secrets, const struct rt_config *rc)
{
        return json_pack("{s:I,s:O?,s:O?,s:I,s:b,s:i,s:s}", "stop_at_ms", (json_int_t)stop_at, "allow_net", allow,
                         "secrets", secrets, "memory_bytes", (json_int_t)rc->limits.memory_bytes, "strict",
                         rc->profile == RT_PROFILE_STRICT, "root_kind", (int)rc->root_kind, "root_id", rc->root_id);
}

/* A sandbox's CPU quota: AL_DEFAULT_CPUS, but on a host with more than one
 * CPU never all of them, so that no tenant (a fork bomb, a build) can take the
 * CPU airlockd and the other sandboxes need to answer (tests/soak/abuse). */
static unsigned sandbox_cpus(void)
{
        static unsigned cpus;

        if (!cpus) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                cpus = n > 1 && n - 1 < AL_DEFAULT_CPUS ? (unsigned)(n - 1) : AL_DEFAULT_CPUS;
        }
        return cpus;
}

static void route_create(struct conn *c)
{
        struct al_error err = { 0 };
        struct store *st = c->srv->cfg->store;
        json_t *cfg = api_config_decode(c->req.config ? c->req.config : "e30=", &err);
        struct rt_config rc = { .state_dir = c->srv->cfg->state_dir,
                                .image = c->srv->cfg->image,
                                .profile = c->srv->cfg->profile,
                                .init_fd = c->srv->cfg->init_fd,
                                .trust_dir = egress_trust_dir(),
                                .outlive_daemon = true,
                                .limits = { AL_DEFAULT_MEMORY, AL_DEFAULT_DISK, sandbox_cpus(), AL_DEFAULT_PIDS } };
        int64_t stop_at = 0;
        json_t *allow = NULL, *secrets = NULL, *labels = NULL;
        bool storage = false;
        int r;

        if (!cfg) {
                send_error(c, 400, "Bad Request", "INVALID_CONFIG", err.msg);
                return;
        }
        json_t *mem = json_object_get(cfg, "memory_mb"), *stop = json_object_get(cfg, "stop_at_ms");
        if (json_is_integer(mem)) {
                uint64_t bytes = (uint64_t)json_integer_value(mem) << 20;
                if (json_integer_value(mem) <= 0 || bytes < AL_MIN_MEMORY || bytes > AL_MAX_MEMORY) {
                        send_error(c, 400, "Bad Request", "INVALID_CONFIG", "memory_mb is out of range");
                        goto out;
                }
                rc.limits.memory_bytes = bytes;
        }
        if (json_is_integer(stop))
                stop_at = json_integer_value(stop);
        labels = json_incref(json_object_get(cfg, "labels"));
        if (labels && !labels_ok(labels)) {
                send_error(c, 400, "Bad Request", "INVALID_CONFIG",
                           "labels: at most 5, keys up to 64 bytes, values up to 128 bytes, all strings");
                goto out;
        }
        if (!net_config_ok(c, cfg, &allow, &secrets))
                goto out;
        if (sbx_count() >= c->srv->cfg->max_sandboxes) {
                send_error(c, 429, "Too Many Requests", "TOO_MANY_SANDBOXES",
                           "the server's limit of live sandboxes is reached (airlockd --max-sandboxes)");
                goto out;
        }
        if (rt_id_generate("loc", rc.id) < 0) {
                send_error(c, 500, "Internal Server Error", "INTERNAL", "cannot make a sandbox id");
                goto out;
        }
        r = api_console_sandbox_storage(st, &c->token, cfg, rc.id, &rc, &err);
        if (r < 0) {
                int status = status_of(r);
                send_error(c, status, reason_phrase(status), status == 500 ? "SANDBOX_CREATE_FAILED" : "INVALID_CONFIG",
                           err.msg);
                goto out;
        }
        storage = true; // NOLINT(clang-analyzer-deadcode.DeadStores): true while the volumes are held, for any new exit
        if (sbx_record_pending(st, rc.id, c->token.id, labels, &err) < 0) {
                api_console_sandbox_released(st, rc.id);
                storage = false;
                send_error(c, 500, "Internal Server Error", "STORE_FAILED", err.msg);
                goto out;
        }
        c->sbx = sbx_create(c->srv->base, &rc, stop_at, &err);
        if (c->sbx && open_door(c->sbx, allow, secrets, &err) < 0) {
                sbx_kill(c->sbx, 1011, "internal error");
                c->sbx = NULL;
        }
        /* Recorded before the client hears of it: a crash from here on
         * leaves a sandbox the next start knows. */
        if (c->sbx) {
                json_t *state = sandbox_state(stop_at, allow, secrets, &rc);
                r = sbx_record(c->sbx, st, c->token.id, labels, state, &err);
                json_decref(state);
                if (r < 0) {
                        sbx_kill(c->sbx, 1011, "internal error");
                        c->sbx = NULL;
                }
        }
        storage = false; /* from here on the sandbox's end releases it */
        if (!c->sbx) {
                struct al_error ignored = { 0 };
                (void)store_sandbox_stopped(st, rc.id, now_ms_wall(), &ignored);
                api_console_sandbox_released(st, rc.id);
                send_error(c, 500, "Internal Server Error", "SANDBOX_CREATE_FAILED", err.msg);
                goto out;
        }
        send_upgrade(c, rc.id);
        if (ws_start(c) < 0) {
                sbx_kill(c->sbx, 1011, "internal error");
                goto out;
        }
        sbx_attach(c->sbx, &c->peer, true);
out:
        if (storage)
                api_console_sandbox_released(st, rc.id);
        json_decref(cfg);
        json_decref(labels);
        json_decref(allow);
        json_decref(secrets);
}

static void route_connect(struct conn *c, const char *id)
{
        struct sbx *s = find_own(c, id);

        if (!s) {
                send_error(c, 404, "Not Found", "SANDBOX_NOT_FOUND", "no such sandbox");
                return;
        }
        send_upgrade(c, id);
        if (ws_start(c) < 0) {
                send_error(c, 500, "Internal Server Error", "INTERNAL", "websocket setup failed");
                return;
        }
        c->sbx = s;
        /* The first client back after a restart owns an adopted session
         * sandbox, as its creator did. */
        sbx_attach(s, &c->peer, sbx_claim_session(s));
}

/* The domain only: the exposeHttp call that follows binds it to a port. */
static void route_expose_http(struct conn *c, struct sbx *s)
{
        struct al_error err = { 0 };
        char domain[512];
        int r = api_ingress_domain_new(c->srv->ingress, s, domain, sizeof(domain), &err);

        if (r == -E2BIG || r == -EBUSY)
                send_error(c, 429, "Too Many Requests", r == -E2BIG ? "TOO_MANY_DOMAINS" : "TOO_MANY_PEERS", err.msg);
        else if (r < 0)
                send_error(c, 500, "Internal Server Error", "INTERNAL", err.msg);
        else
                send_json_response(c, 200, "OK", json_pack("{s:s}", "domain", domain), NULL);
}

static void route_sandbox(struct conn *c, const char *id, const char *rest)
{
        struct sbx *s = find_own(c, id);
        enum http_method m = c->req.parser.method;
        json_t *ssh;

        if (!s) {
                send_error(c, 404, "Not Found", "SANDBOX_NOT_FOUND", "no such sandbox");
        } else if (!*rest && m == HTTP_DELETE) {
                sbx_kill(s, 1000, "sandbox killed");
                send_json_response(c, 200, "OK", json_object(), NULL);
        } else if (!*rest && m == HTTP_PATCH) {
                json_t *body = json_loadb(c->req.body, c->req.body_len, 0, NULL);
                json_t *stop = json_object_get(body, "stop_at_ms");
                if (!json_is_integer(stop) || sbx_set_stop_at(s, json_integer_value(stop)) < 0) {
                        send_error(c, 400, "Bad Request", "INVALID_BODY", "stop_at_ms must be an integer");
                } else {
                        send_json_response(c, 200, "OK", json_pack("{s:I}", "stop_at_ms", (json_int_t)sbx_stop_at(s)),
                                           NULL);
                }
                json_decref(body);
        } else if (strcmp(rest, "/netlog") == 0 && m == HTTP_GET) {
                send_json_response(c, 200, "OK", sbx_netlog(s), NULL);
        } else if (strcmp(rest, "/expose/http") == 0 && m == HTTP_POST) {
                route_expose_http(c, s);
        } else if (strcmp(rest, "/expose/ssh") == 0 && m == HTTP_POST && (ssh = api_ssh_expose(s))) {
                send_json_response(c, 200, "OK", ssh, NULL);
        } else if (strncmp(rest, "/expose/", 8) == 0 && m == HTTP_POST) {
                send_error(c, 501, "Not Implemented", "NOT_SUPPORTED",
                           "exposing ports and SSH is not supported by Airlock yet");
        } else {
                send_error(c, 404, "Not Found", "NOT_FOUND", "no such route");
        }
}

/* GET /metrics: Prometheus text, for any valid token (no admin tokens yet). */
static void send_metrics(struct conn *c)
{
        char *text = api_metrics_render();

        if (!text)
                return send_error(c, 500, "Internal Server Error", "INTERNAL", "out of memory");
        evbuffer_add_printf(bufferevent_get_output(c->bev),
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; "
                            "version=0.0.4\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                            strlen(text), text);
        free(text);
        c->state = CONN_CLOSING;
        c->closing_after_write = true;
}

static void route(struct conn *c)
{
        char path[API_MAX_URL], id[RT_ID_LEN + 1];
        char *q;

        snprintf(path, sizeof(path), "%s", c->req.url);
        if ((q = strchr(path, '?')))
                *q++ = '\0';
        if (c->srv->tls && !bufferevent_openssl_get_ssl(c->bev)) {
                send_error(c, 400, "Bad Request", "HTTPS_REQUIRED", "this server's API speaks HTTPS only");
                return;
        }
        if (!token_ok(c)) {
                send_error(c, 401, "Unauthorized", "INVALID_TOKEN", "missing or invalid bearer token");
                return;
        }
        bool upgrade = api_http_req_is_websocket(&c->req);
        /* console routes */
        if (strcmp(path, "/metrics") == 0 && c->req.parser.method == HTTP_GET)
                return send_metrics(c);
        if (route_sandbox_snapshot(c, path) || route_rest(c, path, q))
                return;
        if (strcmp(path, "/api/v3/sandboxes/create") == 0 && c->req.parser.method == HTTP_GET) {
                uint64_t t0 = api_metrics_clock_ns();
                if (!upgrade)
                        send_error(c, 400, "Bad Request", "UPGRADE_REQUIRED", "create is a WebSocket upgrade");
                else
                        route_create(c);
                api_metrics_create_done(t0, c->sbx && c->state == CONN_WS); /* ok: upgraded, sandbox attached */
                return;
        }
        if (strcmp(path, "/api/v2/sandboxes") == 0 && c->req.parser.method == HTTP_GET) {
                route_list(c, q);
                return;
        }
        if (strncmp(path, "/api/v3/sandbox/", 16) == 0) {
                const char *p = path + 16;
                size_t n = strcspn(p, "/");
                if (n != RT_ID_LEN) {
                        send_error(c, 404, "Not Found", "SANDBOX_NOT_FOUND", "no such sandbox");
                        return;
                }
                memcpy(id, p, n);
                id[n] = '\0';
                if (strcmp(p + n, "/connect") == 0 && c->req.parser.method == HTTP_GET) {
                        if (!upgrade)
                                send_error(c, 400, "Bad Request", "UPGRADE_REQUIRED", "connect is a WebSocket upgrade");
                        else
                                route_connect(c, id);
                        return;
                }
                route_sandbox(c, id, p + n);
                return;
        }
        send_error(c, 404, "Not Found", "NOT_FOUND", "no such route");
}

/* --- connection plumbing -------------------------------------------------- */

static void conn_free(struct conn *c)
{
        api_snapshot_forget(c->snap);
        if (c->sbx) {
                struct sbx *s = c->sbx;
                c->sbx = NULL;
                sbx_detach(s, &c->peer);
        }
        if (c->ws)
                wslay_event_context_free(c->ws);
        bufferevent_free(c->bev);
        api_http_req_free(&c->req);
        free(c);
}

/* False when the ingress took the connection over: c is gone then. */
static bool on_http_read(struct conn *c)
{
        struct evbuffer *in = bufferevent_get_input(c->bev);
        size_t len = evbuffer_get_length(in);
        const char *data = (const char *)evbuffer_pullup(in, (ssize_t)len);
        bool ready;
        long used = api_http_req_feed(&c->req, data + c->held, len - c->held, &ready);

        if (used < 0) {
                evbuffer_drain(in, len);
                if (c->req.too_big)
                        send_error(c, 413, "Payload Too Large", "TOO_LARGE", api_http_req_error(&c->req));
                else
                        send_error(c, 400, "Bad Request", "BAD_REQUEST", api_http_req_error(&c->req));
                return true;
        }
        if (c->req.pause_at_headers) {
                /* The first head stays in the input until its Host says
                 * whether it is the API's or an exposed port's. */
                c->held += (size_t)used;
                if (!c->req.head_paused)
                        return true;
                if (api_ingress_claim(c->srv->ingress, c->bev, c->req.host)) {
                        api_http_req_free(&c->req);
                        free(c);
                        return false;
                }
                api_http_req_resume(&c->req);
                evbuffer_drain(in, c->held);
                c->held = 0;
                return on_http_read(c);
        }
        evbuffer_drain(in, (size_t)used);
        if (ready)
                route(c);
        return true;
}

/* Done when a closing connection has nothing left to send, or when both
 * sides of a WebSocket close handshake are through. */
static bool conn_done(struct conn *c)
{
        if (c->ws && c->state != CONN_HTTP && !wslay_event_want_read(c->ws) && !wslay_event_want_write(c->ws))
                return evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
        return c->state == CONN_CLOSING && c->closing_after_write &&
               evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 && (!c->ws || !wslay_event_want_write(c->ws));
}

static void on_read(struct bufferevent *bev, void *arg)
{
        struct conn *c = arg;

        if (c->state == CONN_HTTP && !on_http_read(c))
                return;
        if (c->state == CONN_WS || (c->state == CONN_CLOSING && c->ws)) {
                if (wslay_event_recv(c->ws) != 0) {
                        conn_free(c);
                        return;
                }
                ws_flush(c);
        }
        if (conn_done(c))
                conn_free(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
        struct conn *c = arg;

        if (conn_done(c)) {
                conn_free(c);
                return;
        }
        if (c->sbx)
                sbx_peer_drained(c->sbx, &c->peer);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
        if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
                conn_free(arg);
}

static void conn_start(struct conn *c, evutil_socket_t fd, bool tls);

/* TLS and plain HTTP share the listener: a TLS client speaks first, with a
 * handshake record. */
static void on_first_byte(evutil_socket_t fd, short what, void *arg)
{
        struct conn *c = arg;
        struct api_server *srv = c->srv;
        uint8_t b;
        ssize_t n = (what & EV_READ) ? recv(fd, &b, 1, MSG_PEEK) : -1;

        if (n < 0 && (what & EV_READ) && (errno == EAGAIN || errno == EINTR)) {
                struct timeval tv = { API_FIRST_BYTE_TIMEOUT_S, 0 };
                if (event_base_once(srv->base, fd, EV_READ, on_first_byte, c, &tv) == 0)
                        return;
        }
        if (n <= 0) {
                evutil_closesocket(fd);
                free(c);
                return;
        }
        conn_start(c, fd, b == API_TLS_HANDSHAKE);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int socklen, void *arg)
{
        struct api_server *srv = arg;
        struct conn *c = calloc(1, sizeof(*c));
        struct timeval tv = { API_FIRST_BYTE_TIMEOUT_S, 0 };

        if (!c) {
                evutil_closesocket(fd);
                return;
        }
        c->srv = srv;
        evutil_make_socket_nonblocking(fd);
        if (event_base_once(srv->base, fd, EV_READ, on_first_byte, c, &tv) < 0) {
                evutil_closesocket(fd);
                free(c);
        }
}

static void conn_start(struct conn *c, evutil_socket_t fd, bool tls)
{
        struct api_server *srv = c->srv;

        /* many small messages (responses, stream chunks): send each at once */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
        c->peer = (struct sbx_peer){ .send = peer_send, .backlog = peer_backlog, .close = peer_close };
        if (tls) {
                SSL *ssl = SSL_new(srv->tls ? srv->tls : api_ingress_tls(srv->ingress));
                c->bev = ssl ? bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                              BEV_OPT_CLOSE_ON_FREE)
                             : NULL;
                if (!c->bev && ssl)
                        SSL_free(ssl);
        } else {
                c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
        }
        if (!c->bev) {
                evutil_closesocket(fd);
                free(c);
                return;
        }
        api_http_req_init(&c->req);
        c->req.pause_at_headers = true;
        bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
        bufferevent_setwatermark(c->bev, EV_WRITE, API_WS_LOW_WATER, 0);
        bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static int tls_setup(struct api_server *srv, const struct api_config *cfg, struct al_error *err)
{
        char why[256] = "";

        if (!cfg->tls_cert || !cfg->tls_key)
                return al_error_setx(err, EINVAL, "TLS needs both --tls-cert and --tls-key");
        srv->tls = SSL_CTX_new(TLS_server_method());
        if (!srv->tls)
                return al_error_setx(err, ENOMEM, "cannot make a TLS context");
        SSL_CTX_set_min_proto_version(srv->tls, TLS1_2_VERSION);
        if (SSL_CTX_use_certificate_chain_file(srv->tls, cfg->tls_cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(srv->tls, cfg->tls_key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(srv->tls) != 1) {
                ERR_error_string_n(ERR_get_error(), why, sizeof(why));
                SSL_CTX_free(srv->tls);
                srv->tls = NULL;
                return al_error_setx(err, EINVAL, "TLS certificate %s / key %s: %s", cfg->tls_cert, cfg->tls_key, why);
        }
        return 0;
}

static int ingress_start(struct api_server *srv, const struct api_config *cfg, struct al_error *err);

static struct store *gone_store;

static void on_sandbox_gone(const char *id)
{
        api_console_sandbox_released(gone_store, id);
}

int api_server_start(struct event_base *base, const struct api_config *cfg, struct api_server **ret,
                     struct al_error *err)
{
        struct sockaddr_storage ss;
        int sslen = sizeof(ss);
        struct api_server *srv;

        if (evutil_parse_sockaddr_port(cfg->listen, (struct sockaddr *)&ss, &sslen) < 0)
                return al_error_setx(err, EINVAL, "--listen: '%s' is not ADDR:PORT", cfg->listen);
        srv = calloc(1, sizeof(*srv));
        if (!srv)
                return al_error_set(err, ENOMEM, "allocate server");
        gone_store = cfg->store;
        sbx_set_gone_hook(on_sandbox_gone);
        api_console_init(cfg->state_dir, cfg->image);
        srv->base = base;
        srv->cfg = cfg;
        if (cfg->tls_cert || cfg->tls_key) {
                int r = tls_setup(srv, cfg, err);
                if (r < 0) {
                        free(srv);
                        return r;
                }
        }
        srv->listener = evconnlistener_new_bind(base, on_accept, srv,
                                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
                                                (struct sockaddr *)&ss, sslen);
        if (!srv->listener) {
                int e = errno;
                SSL_CTX_free(srv->tls);
                free(srv);
                return al_error_set(err, e, "listen on %s", cfg->listen);
        }
        if (ingress_start(srv, cfg, err) < 0) {
                api_server_stop(srv);
                return -err->code;
        }
        *ret = srv;
        return 0;
}

/* The ingress's domains carry the listener's port unless told otherwise. */
static int ingress_start(struct api_server *srv, const struct api_config *cfg, struct al_error *err)
{
        struct sockaddr_storage ss = { 0 };
        socklen_t sl = sizeof(ss);
        struct api_ingress_config ic = { .state_dir = cfg->state_dir,
                                         .host = cfg->expose_host,
                                         .port = cfg->expose_port,
                                         .operator_tls = srv->tls };

        if (!cfg->expose_host && getsockname(evconnlistener_get_fd(srv->listener), (struct sockaddr *)&ss, &sl) == 0)
                // NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): getsockname() filled ss
                ic.port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                         : ((struct sockaddr_in *)&ss)->sin_port);
        return api_ingress_new(srv->base, &ic, &srv->ingress, err);
}

const char *api_server_ingress_ca(const struct api_server *srv)
{
        return api_ingress_ca_path(srv->ingress);
}

const char *api_server_ingress_base(const struct api_server *srv)
{
        return api_ingress_base(srv->ingress);
}

struct adopt_walk {
        char (*ids)[RT_ID_LEN + 1];
        size_t n, cap;
};

static int collect_running(void *arg, const struct store_sandbox *rec)
{
        struct adopt_walk *w = arg;

        if (strlen(rec->id) != RT_ID_LEN)
                return 0;
        if (w->n == w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 64;
                void *p = realloc(w->ids, cap * sizeof(*w->ids));
                if (!p)
                        return -ENOMEM;
                w->ids = p;
                w->cap = cap;
        }
        memcpy(w->ids[w->n++], rec->id, RT_ID_LEN + 1);
        return 0;
}

static struct sbx *adopt_one(struct api_server *srv, const struct store_sandbox *rec, struct al_error *err)
{
        struct sbx *s = sbx_adopt(srv->base, srv->cfg->store, rec, srv->cfg->adopt_grace_ms, err);

        if (s && egress_add(rec->id, sbx_rt(s), json_object_get(rec->state, "allow_net"),
                            json_object_get(rec->state, "secrets"), err) < 0) {
                sbx_kill(s, 1011, "internal error");
                return NULL;
        }
        if (s) { /* what was exposed stays exposed */
                api_ingress_restore(srv->ingress, s);
                api_ssh_restore(s);
        }
        return s;
}

int api_server_adopt(struct api_server *srv, struct al_error *err)
{
        struct store *st = srv->cfg->store;
        struct adopt_walk w = { 0 };
        const char **keep, **gone;
        size_t n_keep = 0, n_gone = 0;
        struct timespec t0, t1;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = store_sandbox_foreach_running(st, collect_running, &w);
        keep = calloc(w.n + 1, sizeof(*keep));
        gone = calloc(w.n + 1, sizeof(*gone));
        if (r < 0 || !keep || !gone) {
                free(w.ids);
                free(keep);
                free(gone);
                return al_error_set(err, r < 0 ? -r : ENOMEM, "list the sandboxes to adopt");
        }
        for (size_t i = 0; i < w.n; i++) {
                struct store_sandbox rec = { 0 };
                struct al_error e = { 0 };
                struct timespec now;

                if (store_sandbox_get(st, w.ids[i], &rec) < 0)
                        continue;
                if (adopt_one(srv, &rec, &e)) {
                        keep[n_keep++] = w.ids[i];
                } else {
                        clock_gettime(CLOCK_REALTIME, &now);
                        al_log(AL_LOG_INFO, "sandbox", "ended while airlockd was away", "id", rec.id, "reason", e.msg,
                               NULL);
                        (void)store_sandbox_stopped(st, rec.id, (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, &e);
                        api_console_sandbox_released(st, rec.id);
                        gone[n_gone++] = w.ids[i];
                }
                store_sandbox_clear(&rec);
        }
        int removed = rt_remains_remove(srv->cfg->state_dir, keep, n_keep, gone, n_gone) + api_console_remains(st);
        api_metrics_adopted_set((unsigned)n_keep);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        char adopted_s[16], gone_s[16], removed_s[16], ms_s[24];
        snprintf(adopted_s, sizeof(adopted_s), "%zu", n_keep);
        snprintf(gone_s, sizeof(gone_s), "%zu", n_gone);
        snprintf(removed_s, sizeof(removed_s), "%d", removed);
        snprintf(ms_s, sizeof(ms_s), "%.1f",
                 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
        al_log(AL_LOG_INFO, "sandbox", "adopted the sandboxes of before", "adopted", adopted_s, "ended", gone_s,
               "remains_removed", removed_s, "ms", ms_s, NULL);
        free(keep);
        free(gone);
        free(w.ids);
        return 0;
}

void api_server_stop(struct api_server *srv)
{
        if (!srv)
                return;
        evconnlistener_free(srv->listener);
        api_ingress_free(srv->ingress); /* after sbx_kill_all(): see ingress.h */
        SSL_CTX_free(srv->tls);
        free(srv);
}
