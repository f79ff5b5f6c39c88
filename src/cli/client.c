/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "common/b64.h"
#include "common/buf.h"
#include "common/cleanup.h"

#define CLI_MAX_HEADER 16384
#define CLI_MAX_BODY (8u << 20)

int cli_conf_load(struct cli_conf *c, const char *state_dir)
{
        const char *ep = getenv("DENO_SANDBOX_ENDPOINT");
        const char *tok = getenv("DENO_DEPLOY_TOKEN");

        snprintf(c->endpoint, sizeof(c->endpoint), "%s", ep ? ep : "http://127.0.0.1:8080");
        int host_end = 0;
        char *port_end = NULL;
        long port = 0;
        /* strtol, not %d: a port past INT_MAX is refused, not undefined */
        if (strncmp(c->endpoint, "http://", 7) != 0 ||
            sscanf(c->endpoint + 7, "%255[^:/]:%n", c->host, &host_end) != 1 || host_end == 0 ||
            (port = strtol(c->endpoint + 7 + host_end, &port_end, 10)) <= 0 || port > 65535 ||
            (*port_end && *port_end != '/')) {
                fprintf(stderr, "airlock: endpoint '%s' is not http://HOST:PORT\n", c->endpoint);
                return -EINVAL;
        }
        c->port = (int)port;
        if (tok) {
                snprintf(c->token, sizeof(c->token), "%s", tok);
                return 0;
        }
        char path[512];
        snprintf(path, sizeof(path), "%s/token", state_dir);
        FILE *f = fopen(path, "re");
        if (!f || !fgets(c->token, sizeof(c->token), f)) {
                if (f)
                        fclose(f);
                fprintf(stderr, "airlock: no token: set DENO_DEPLOY_TOKEN or start airlockd (it writes %s)\n", path);
                return -ENOENT;
        }
        fclose(f);
        c->token[strcspn(c->token, "\r\n")] = '\0';
        return 0;
}

static int tcp_connect(const struct cli_conf *c)
{
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
        char port[16];
        int fd = -1;

        snprintf(port, sizeof(port), "%d", c->port);
        if (getaddrinfo(c->host, port, &hints, &res) != 0)
                return -EHOSTUNREACH;
        for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
                fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
                /* small request after small request: no Nagle delays */
                if (fd >= 0)
                        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
                if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
                        close(fd);
                        fd = -1;
                }
        }
        freeaddrinfo(res);
        if (fd < 0)
                fprintf(stderr, "airlock: cannot reach airlockd at %s: is it running?\n", c->endpoint);
        return fd < 0 ? -ECONNREFUSED : fd;
}

/* Read up to the end of the headers; leftover bytes stay in buf after them. */
static int read_head(int fd, char *buf, size_t cap, size_t *ret_len, char **ret_body)
{
        size_t len = 0;
        while (len + 1 < cap) {
                ssize_t n = read(fd, buf + len, cap - 1 - len);
                if (n <= 0)
                        return -EPROTO;
                len += (size_t)n;
                buf[len] = '\0';
                char *end = strstr(buf, "\r\n\r\n");
                if (end) {
                        *ret_body = end + 4;
                        *ret_len = len;
                        /* "HTTP/1.1 NNN": a shorter head is no status line */
                        if (end - buf < 12 || strncmp(buf, "HTTP/1.", 7) != 0)
                                return -EPROTO;
                        long status = strtol(buf + 9, NULL, 10);
                        return status >= 100 && status <= 999 ? (int)status : -EPROTO;
                }
        }
        return -E2BIG;
}

static json_t *read_body(int fd, char *buf, size_t len, char *body)
{
        const char *cl = strcasestr(buf, "\r\ncontent-length:");
        size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0, have = len - (size_t)(body - buf);
        if (want > CLI_MAX_BODY)
                return NULL;
        char *all = malloc(want + 1);
        if (!all)
                return NULL;
        memcpy(all, body, have < want ? have : want);
        while (have < want) {
                ssize_t n = read(fd, all + have, want - have);
                if (n <= 0)
                        break;
                have += (size_t)n;
        }
        json_t *j = json_loadb(all, have, 0, NULL);
        free(all);
        return j;
}

int cli_http(const struct cli_conf *c, const char *method, const char *path, const char *body, json_t **ret_body)
{
        _cleanup_fd_ int fd = tcp_connect(c);
        char req[2048], head[CLI_MAX_HEADER], *b;
        size_t len;
        int status;

        if (fd < 0)
                return fd;
        snprintf(req, sizeof(req),
                 "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                 method, path, c->host, c->port, c->token, body ? strlen(body) : 0, body ? body : "");
        if (al_write_all(fd, req, strlen(req)) < 0)
                return -EPIPE;
        status = read_head(fd, head, sizeof(head), &len, &b);
        if (status > 0 && ret_body)
                *ret_body = read_body(fd, head, len, b);
        return status;
}

/* --- WebSocket ------------------------------------------------------------ */

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
        struct cli_ws *ws = user;
        ssize_t n = read(ws->fd, buf, len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
                return -1;
        }
        if (n <= 0) {
                wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
                return -1;
        }
        return n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user)
{
        struct cli_ws *ws = user;
        ssize_t n = write(ws->fd, data, len);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
                wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
                return -1;
        }
        if (n < 0) {
                wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
                return -1;
        }
        return n;
}

static int on_genmask(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
        return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
        struct cli_ws *ws = user;
        json_t *m;

        if (arg->opcode == WSLAY_CONNECTION_CLOSE) {
                ws->closed = true;
                ws->close_code = arg->status_code;
                return;
        }
        if (arg->opcode != WSLAY_TEXT_FRAME || (arg->msg_length == 4 && !memcmp(arg->msg, "pong", 4)))
                return;
        m = json_loadb((const char *)arg->msg, arg->msg_length, 0, NULL);
        json_t *id = json_object_get(m, "id");
        const char *method = json_string_value(json_object_get(m, "method"));
        if (json_is_integer(id) && !method && json_integer_value(id) == ws->want_id) {
                ws->response = json_incref(m);
        } else if (method && ws->on_note) {
                ws->on_note(ws->user, method, json_object_get(m, "params"));
        }
        json_decref(m);
}

int cli_ws_open(struct cli_ws *ws, const struct cli_conf *c, const char *path, const char *config_b64)
{
        static const struct wslay_event_callbacks cb = {
                .recv_callback = on_recv,
                .send_callback = on_send,
                .genmask_callback = on_genmask,
                .on_msg_recv_callback = on_msg,
        };
        uint8_t key[16];
        char req[8192], head[CLI_MAX_HEADER], *body;
        size_t len;
        int status;

        memset(ws, 0, sizeof(*ws));
        ws->want_id = -1;
        ws->fd = tcp_connect(c);
        if (ws->fd < 0)
                return ws->fd;
        if (getrandom(key, sizeof(key), 0) != sizeof(key))
                return -EIO;
        char *k64 = al_b64_encode(key, sizeof(key), NULL);
        int n = snprintf(req, sizeof(req),
                         "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n"
                         "%s%s%s\r\n",
                         path, c->host, c->port, k64 ? k64 : "", c->token, config_b64 ? "x-deno-sandbox-config: " : "",
                         config_b64 ? config_b64 : "", config_b64 ? "\r\n" : "");
        free(k64);
        if (n >= (int)sizeof(req) || al_write_all(ws->fd, req, (size_t)n) < 0)
                return -EIO;
        status = read_head(ws->fd, head, sizeof(head), &len, &body);
        if (status != 101) {
                json_t *err = status > 0 ? read_body(ws->fd, head, len, body) : NULL;
                fprintf(stderr, "airlock: %s (HTTP %d)\n",
                        json_string_value(json_object_get(err, "message")) ?: "the server refused", status);
                json_decref(err);
                close(ws->fd);
                ws->fd = -1;
                return -EPROTO;
        }
        const char *idh = strcasestr(head, "\r\nx-deno-sandbox-id:");
        if (idh && sscanf(idh + 20, " %63[^\r\n]", ws->sandbox_id) != 1)
                ws->sandbox_id[0] = '\0';
        fcntl(ws->fd, F_SETFL, O_NONBLOCK);
        if (wslay_event_context_client_init(&ws->ctx, &cb, ws) != 0)
                return -ENOMEM;
        wslay_event_config_set_max_recv_msg_length(ws->ctx, 100ull << 20);
        return 0;
}

void cli_ws_close(struct cli_ws *ws)
{
        if (ws->ctx) {
                wslay_event_queue_close(ws->ctx, 1000, NULL, 0);
                for (int i = 0; i < 50 && wslay_event_want_write(ws->ctx); i++)
                        cli_ws_pump(ws, -1, 100);
                wslay_event_context_free(ws->ctx);
        }
        if (ws->fd >= 0)
                close(ws->fd);
        json_decref(ws->response);
        memset(ws, 0, sizeof(*ws));
        ws->fd = -1;
}

int cli_ws_send(struct cli_ws *ws, json_t *msg)
{
        char *text = json_dumps(msg, JSON_COMPACT);
        struct wslay_event_msg m = { .opcode = WSLAY_TEXT_FRAME,
                                     .msg = (uint8_t *)text,
                                     .msg_length = text ? strlen(text) : 0 };
        int r = text ? wslay_event_queue_msg(ws->ctx, &m) : -1;
        free(text);
        json_decref(msg);
        while (r == 0 && wslay_event_want_write(ws->ctx)) /* small messages: just send them */
                if (cli_ws_pump(ws, -1, 1000) < 0)
                        return -EIO;
        return r == 0 ? 0 : -EIO;
}

int cli_ws_pump(struct cli_ws *ws, int extra_fd, int timeout_ms)
{
        struct pollfd p[2] = {
                { .fd = ws->fd,
                  .events = (short)((wslay_event_want_read(ws->ctx) ? POLLIN : 0) |
                                    (wslay_event_want_write(ws->ctx) ? POLLOUT : 0)) },
                { .fd = extra_fd, .events = POLLIN },
        };
        int r = poll(p, extra_fd >= 0 ? 2 : 1, timeout_ms), ret = 0;

        if (r < 0)
                return errno == EINTR ? 0 : -errno;
        if (p[0].revents) {
                if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && wslay_event_recv(ws->ctx) != 0)
                        ws->closed = true;
                if ((p[0].revents & POLLOUT) && wslay_event_send(ws->ctx) != 0)
                        ws->closed = true;
                ret |= 1;
        }
        if (extra_fd >= 0 && p[1].revents)
                ret |= 2;
        return ret;
}

int64_t cli_ws_request(struct cli_ws *ws, const char *method, json_t *params)
{
        int64_t id = ws->next_id++;
        json_t *msg = json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id", (json_int_t)id, "method", method, "params",
                                params ? params : json_object());
        return cli_ws_send(ws, msg) < 0 ? -1 : id;
}

json_t *cli_ws_call(struct cli_ws *ws, const char *method, json_t *params)
{
        int64_t id = cli_ws_request(ws, method, params);
        json_t *result = NULL;

        if (id < 0)
                return NULL;
        ws->want_id = id;
        while (!ws->response && !ws->closed)
                if (cli_ws_pump(ws, -1, 1000) < 0)
                        break;
        if (ws->response) {
                result = json_incref(json_object_get(ws->response, "result"));
                json_decref(ws->response);
                ws->response = NULL;
        }
        ws->want_id = -1;
        return result;
}
