/* SPDX-License-Identifier: Apache-2.0 */
/* The SSH gateway. libssh runs in non-blocking mode on airlockd's one event
 * loop, with no thread: each connection's socket is watched by libevent,
 * which calls ssh_event_dopoll(…, 0) on a per-connection ssh_event when the
 * socket is ready; libssh then runs our callbacks. Why no thread: a libssh
 * session is not thread-safe and the sandbox registry is the loop's, so a
 * thread would have to marshal every byte both ways; on the loop a session
 * costs a callback and never blocks (the listening socket is ours, the key
 * exchange is driven packet by packet, writes are bounded by the channel's
 * window and flushed on EV_WRITE).
 *
 * Ownership: a connection is freed only from its own deferred event, never
 * under a libssh or sandbox callback; callbacks only set flags. */
#include <errno.h>
#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/limits.h"
#include "common/log.h"
#include "sandbox/live.h"
#include "ssh.h"

#define SSH_MAX_CONNS AL_SSH_MAX_CONNS
#define SSH_MAX_CHANNELS AL_SSH_MAX_CHANNELS
#define SSH_MAX_USERS AL_SSH_MAX_USERS
#define SSH_MAX_AUTH_TRIES AL_SSH_MAX_AUTH_TRIES
#define SSH_AUTH_TIMEOUT_S AL_SSH_AUTH_TIMEOUT_S
#define SSH_USER_LEN 32 /* [a-z0-9]: 165 bits */
#define SSH_MAX_STDIN AL_SSH_MAX_STDIN
#define SSH_MAX_TERM 64
#define SSH_SFTP_SERVER "/usr/lib/openssh/sftp-server"

struct gw_conn;

struct gw_chan {
        struct gw_conn *conn;
        ssh_channel ch;
        struct ssh_channel_callbacks_struct cb;
        uint32_t proc; /* sandbox process (channel id), 0 = none yet */
        bool pty, started, exited, finished, closed, in_eof, in_eof_sent, dead;
        bool in_held; /* client bytes left in libssh's channel buffer (k->in was full) */
        unsigned rows, cols;
        char term[SSH_MAX_TERM];
        int exit_code, exit_signo;
        struct al_buf in;  /* toward the process */
        struct al_buf out; /* toward the client, waiting for window */
        struct al_buf err;
};

struct gw_conn {
        struct gw_conn *next;
        ssh_session ss;
        ssh_event sev;
        int fd;
        struct event *rev, *wev, *close_ev, *deadline;
        struct sbx *sbx; /* set once authenticated, NULL when the sandbox is gone */
        struct sbx_peer peer;
        struct ssh_server_callbacks_struct cb;
        struct gw_chan *chans[SSH_MAX_CHANNELS];
        int auth_tries;
        bool authed, closing;
};

struct gw_user {
        char sbx_id[RT_ID_LEN + 1];
        char name[SSH_USER_LEN + 1];
};

static struct {
        struct event_base *base;
        ssh_bind bind;
        int lfd;
        struct event *lev;
        char host[256];
        unsigned port;
        char host_key[256]; /* "ssh-ed25519 AAAA…", for clients that pin it (airlock ssh) */
        struct gw_conn *conns;
        unsigned n_conns;
        struct gw_user users[SSH_MAX_USERS];
        bool running;
} gw = { .lfd = -1 };

static void conn_close(struct gw_conn *c);
static void conn_update(struct gw_conn *c);
static void chan_pump_in(struct gw_chan *k);
static void chan_flush_out(struct gw_chan *k);

/* --- usernames ---------------------------------------------------------- */

static struct gw_user *user_find(const char *name)
{
        for (int i = 0; i < SSH_MAX_USERS; i++)
                if (gw.users[i].name[0] && strcmp(gw.users[i].name, name) == 0)
                        return &gw.users[i];
        return NULL;
}

/* A sandbox that ended takes its username with it. */
static void users_prune(void)
{
        for (int i = 0; i < SSH_MAX_USERS; i++)
                if (gw.users[i].name[0] && !sbx_find(gw.users[i].sbx_id))
                        memset(&gw.users[i], 0, sizeof(gw.users[i]));
}

/* An adopted sandbox's username, as the airlockd before us handed it out. */
void api_ssh_restore(struct sbx *s)
{
        const char *name = json_string_value(sbx_state_get(s, "ssh_user"));

        if (!name || strlen(name) != SSH_USER_LEN)
                return;
        for (int i = 0; i < SSH_MAX_USERS; i++)
                if (!gw.users[i].name[0]) {
                        snprintf(gw.users[i].name, sizeof(gw.users[i].name), "%s", name);
                        snprintf(gw.users[i].sbx_id, sizeof(gw.users[i].sbx_id), "%s", sbx_id(s));
                        return;
                }
}

json_t *api_ssh_expose(struct sbx *s)
{
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        unsigned char rnd[SSH_USER_LEN];
        struct gw_user *u = NULL;

        if (!gw.running)
                return NULL;
        users_prune();
        for (int i = 0; i < SSH_MAX_USERS && !u; i++)
                if (strcmp(gw.users[i].sbx_id, sbx_id(s)) == 0)
                        u = &gw.users[i];
        for (int i = 0; i < SSH_MAX_USERS && !u; i++)
                if (!gw.users[i].name[0]) {
                        u = &gw.users[i];
                        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                                return NULL;
                        for (size_t j = 0; j < sizeof(rnd); j++)
                                u->name[j] = alphabet[rnd[j] % 36];
                        u->name[SSH_USER_LEN] = '\0';
                        snprintf(u->sbx_id, sizeof(u->sbx_id), "%s", sbx_id(s));
                }
        if (!u)
                return NULL;
        (void)sbx_state_set(s, "ssh_user", json_string(u->name)); /* kept across restarts */
        /* port and host_key are Airlock's own (the SDK takes the first two) */
        return json_pack("{s:s,s:s,s:i,s:s}", "hostname", gw.host, "username", u->name, "port", (int)gw.port,
                         "host_key", gw.host_key);
}

/* --- the sandbox side of a channel ---------------------------------------- */

static void chan_finish(struct gw_chan *k)
{
        static const struct {
                int no;
                const char *name;
        } sigs[] = { { SIGHUP, "HUP" },   { SIGINT, "INT" },   { SIGQUIT, "QUIT" }, { SIGILL, "ILL" },
                     { SIGABRT, "ABRT" }, { SIGFPE, "FPE" },   { SIGKILL, "KILL" }, { SIGSEGV, "SEGV" },
                     { SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" }, { SIGUSR1, "USR1" },
                     { SIGUSR2, "USR2" } };
        const char *name = NULL;

        if (k->finished || !k->exited || al_buf_size(&k->out) || al_buf_size(&k->err))
                return;
        k->finished = true;
        for (size_t i = 0; k->exit_signo && i < sizeof(sigs) / sizeof(sigs[0]); i++)
                if (sigs[i].no == k->exit_signo)
                        name = sigs[i].name;
        if (name)
                ssh_channel_request_send_exit_signal(k->ch, name, 0, "", "");
        else
                ssh_channel_request_send_exit_status(k->ch, k->exit_code);
        ssh_channel_send_eof(k->ch);
        ssh_channel_close(k->ch);
        /* freed when the client's close comes (on_chan_close) */
}

/* Write what the window takes; acknowledge it to the sandbox. */
static size_t chan_write(struct gw_chan *k, bool is_stderr, const uint8_t *p, size_t n)
{
        uint32_t win = k->closed ? (uint32_t)n : ssh_channel_window_size(k->ch);
        size_t w = n < win ? n : win;
        int r = 0;

        if (w && !k->closed)
                r = is_stderr ? ssh_channel_write_stderr(k->ch, p, (uint32_t)w)
                              : ssh_channel_write(k->ch, p, (uint32_t)w);
        if (k->closed)
                r = (int)n; /* the client went: drop */
        if (r < 0)
                r = 0;
        if (r > 0 && k->conn->sbx)
                sbx_proc_ack(k->conn->sbx, k->proc, (uint32_t)r);
        return (size_t)r;
}

static void chan_flush_out(struct gw_chan *k)
{
        struct al_buf *bufs[2] = { &k->out, &k->err };

        for (int i = 0; i < 2; i++)
                while (al_buf_size(bufs[i])) {
                        size_t w = chan_write(k, i == 1, al_buf_head(bufs[i]), al_buf_size(bufs[i]));
                        if (!w)
                                break;
                        al_buf_consume(bufs[i], w);
                }
        chan_finish(k);
        conn_update(k->conn);
}

static void on_proc_output(void *arg, bool is_stderr, const uint8_t *p, size_t n)
{
        struct gw_chan *k = arg;
        struct al_buf *b = is_stderr ? &k->err : &k->out;
        size_t w = 0;

        if (!al_buf_size(&k->out) && !al_buf_size(&k->err))
                w = chan_write(k, is_stderr, p, n);
        /* The rest waits for the window; the sandbox's window (unacknowledged
         * bytes) caps it at AL_CHAN_WINDOW. */
        if (w < n && al_buf_append(b, p + w, n - w) < 0 && k->conn->sbx)
                sbx_proc_ack(k->conn->sbx, k->proc, (uint32_t)(n - w));
        conn_update(k->conn);
}

/* libssh offers what on_data left in its buffer again only when the next
 * data packet comes, which a client waiting on its window or on a reply
 * never sends: take it here, outside libssh's callbacks, once k->in has
 * room. Reading it also reopens the client's window. */
static void chan_pull_in(struct gw_chan *k)
{
        uint8_t tmp[32768];

        while (k->in_held && !k->closed && !k->exited) {
                size_t room = SSH_MAX_STDIN - al_buf_size(&k->in);
                uint32_t want = room < sizeof(tmp) ? (uint32_t)room : (uint32_t)sizeof(tmp);
                int r;

                if (!want)
                        break;
                r = ssh_channel_read_nonblocking(k->ch, tmp, want, 0);
                if (r < (int)want)
                        k->in_held = false; /* libssh's buffer is empty now */
                if (r > 0 && al_buf_append(&k->in, tmp, (size_t)r) < 0)
                        break;
                chan_pump_in(k);
        }
        conn_update(k->conn);
}

static void on_proc_credit(void *arg)
{
        struct gw_chan *k = arg;

        chan_pump_in(k);
        chan_pull_in(k);
}

static void on_proc_exit(void *arg, int code, int signo)
{
        struct gw_chan *k = arg;

        k->exited = true;
        k->exit_code = code;
        k->exit_signo = signo;
        k->proc = 0; /* the slot is gone in the sandbox */
        chan_finish(k);
        conn_update(k->conn);
}

static void on_proc_failed(void *arg, int err, const char *msg)
{
        struct gw_chan *k = arg;
        char line[AL_MAX_ERRMSG + 16];

        snprintf(line, sizeof(line), "airlock: %s\r\n", msg);
        if (!k->closed)
                ssh_channel_write_stderr(k->ch, line, (uint32_t)strlen(line));
        on_proc_exit(k, err == ENOENT ? 127 : 126, 0);
}

static const struct sbx_proc_sink proc_sink = {
        .on_output = on_proc_output,
        .on_stdin_credit = on_proc_credit,
        .on_exit = on_proc_exit,
        .on_failed = on_proc_failed,
};

static void chan_pump_in(struct gw_chan *k)
{
        struct sbx *s = k->conn->sbx;

        if (!s || !k->proc || k->exited)
                return;
        while (al_buf_size(&k->in)) {
                size_t n = sbx_proc_write(s, k->proc, al_buf_head(&k->in), al_buf_size(&k->in));
                if (!n)
                        break;
                al_buf_consume(&k->in, n);
        }
        /* A terminal has no end of input: ^D is the shell's business. */
        if (k->in_eof && !k->in_eof_sent && !al_buf_size(&k->in) && !k->in_held && !k->pty) {
                sbx_proc_write(s, k->proc, NULL, 0);
                k->in_eof_sent = true;
        }
}

static int chan_spawn(struct gw_chan *k, json_t *argv)
{
        struct gw_conn *c = k->conn;
        json_t *req;
        int r;

        if (!c->sbx || k->proc || k->exited) {
                json_decref(argv);
                return -1;
        }
        req = json_pack("{s:o,s:s,s:b,s:b,s:i,s:i,s:{s:s}}", "argv", argv, "user", "app", "tty", k->pty, "stdin", 1,
                        "rows", k->rows, "cols", k->cols, "envObj", "TERM", k->pty ? k->term : "dumb");
        if (!req)
                return -1;
        r = sbx_proc_spawn(c->sbx, &c->peer, req, &proc_sink, k, &k->proc);
        json_decref(req);
        if (r < 0)
                return -1;
        k->started = true;
        chan_pump_in(k);
        return 0;
}

/* --- channel requests from the client -------------------------------------- */

static int on_pty_request(ssh_session ss, ssh_channel ch, const char *term, int cols, int rows, int pxw, int pxh,
                          void *arg)
{
        struct gw_chan *k = arg;

        if (k->started)
                return -1;
        k->pty = true;
        k->rows = rows > 0 && rows < 10000 ? (unsigned)rows : 24;
        k->cols = cols > 0 && cols < 10000 ? (unsigned)cols : 80;
        snprintf(k->term, sizeof(k->term), "%s",
                 term && *term && strlen(term) < SSH_MAX_TERM && !strpbrk(term, "/ ") ? term : "xterm-256color");
        return 0;
}

static int on_window_change(ssh_session ss, ssh_channel ch, int cols, int rows, int pxw, int pxh, void *arg)
{
        struct gw_chan *k = arg;

        if (rows <= 0 || cols <= 0 || rows >= 10000 || cols >= 10000)
                return -1;
        k->rows = (unsigned)rows;
        k->cols = (unsigned)cols;
        if (k->conn->sbx && k->proc && !k->exited)
                sbx_proc_resize(k->conn->sbx, k->proc, k->rows, k->cols);
        return 0;
}

static int on_shell_request(ssh_session ss, ssh_channel ch, void *arg)
{
        return chan_spawn(arg, json_pack("[s,s]", "/bin/bash", "-l"));
}

static int on_exec_request(ssh_session ss, ssh_channel ch, const char *command, void *arg)
{
        if (!command || strlen(command) > AL_MAX_ARG_LEN)
                return -1;
        return chan_spawn(arg, json_pack("[s,s,s]", "/bin/bash", "-c", command));
}

/* sftp: OpenSSH's sftp-server, run inside the sandbox as app like any
 * command, so that files are touched by the sandbox's own user and airlockd
 * parses no SFTP. The image must carry it (openssh-sftp-server). */
static int on_subsystem_request(ssh_session ss, ssh_channel ch, const char *name, void *arg)
{
        struct gw_chan *k = arg;

        if (!name || strcmp(name, "sftp") != 0 || k->pty)
                return -1;
        return chan_spawn(k, json_pack("[s]", SSH_SFTP_SERVER));
}

static void on_signal(ssh_session ss, ssh_channel ch, const char *name, void *arg)
{
        static const struct {
                const char *name;
                int no;
        } sigs[] = { { "HUP", SIGHUP },   { "INT", SIGINT },   { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
                     { "TERM", SIGTERM }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "ALRM", SIGALRM } };
        struct gw_chan *k = arg;

        for (size_t i = 0; name && i < sizeof(sigs) / sizeof(sigs[0]); i++)
                if (strcmp(sigs[i].name, name) == 0 && k->conn->sbx && k->proc && !k->exited)
                        sbx_proc_signal(k->conn->sbx, k->proc, sigs[i].no);
}

static int on_data(ssh_session ss, ssh_channel ch, void *data, uint32_t len, int is_stderr, void *arg)
{
        struct gw_chan *k = arg;
        size_t room = SSH_MAX_STDIN - al_buf_size(&k->in);
        size_t n = len < room ? len : room;

        /* a client's extended data has no meaning on a session (sshd drops it too) */
        if (k->exited || is_stderr)
                return (int)len; /* no one reads it any more */
        if (n && al_buf_append(&k->in, data, n) < 0)
                n = 0;
        k->in_held = n < len; /* libssh passes it all again with the next packet */
        chan_pump_in(k);
        return (int)n; /* the rest stays in libssh and holds the client's window */
}

static void on_eof(ssh_session ss, ssh_channel ch, void *arg)
{
        struct gw_chan *k = arg;

        k->in_eof = true;
        chan_pump_in(k);
}

static void on_chan_close(ssh_session ss, ssh_channel ch, void *arg)
{
        struct gw_chan *k = arg;

        k->closed = true;
        k->dead = true;
        event_active(k->conn->close_ev, EV_TIMEOUT, 0);
}

static int on_wontblock(ssh_session ss, ssh_channel ch, uint32_t bytes, void *arg)
{
        struct gw_chan *k = arg;

        if (al_buf_size(&k->out) || al_buf_size(&k->err))
                chan_flush_out(k);
        return 0;
}

static ssh_channel on_channel_open(ssh_session ss, void *arg)
{
        struct gw_conn *c = arg;
        struct gw_chan *k;
        int slot = -1;

        for (int i = 0; i < SSH_MAX_CHANNELS && slot < 0; i++)
                if (!c->chans[i])
                        slot = i;
        if (!c->authed || !c->sbx || slot < 0 || !(k = calloc(1, sizeof(*k))))
                return NULL;
        k->ch = ssh_channel_new(ss);
        if (!k->ch) {
                free(k);
                return NULL;
        }
        k->conn = c;
        al_buf_init(&k->in, SSH_MAX_STDIN);
        al_buf_init(&k->out, 2 * AL_CHAN_WINDOW);
        al_buf_init(&k->err, 2 * AL_CHAN_WINDOW);
        k->cb = (struct ssh_channel_callbacks_struct){
                .userdata = k,
                .channel_data_function = on_data,
                .channel_eof_function = on_eof,
                .channel_close_function = on_chan_close,
                .channel_signal_function = on_signal,
                .channel_pty_request_function = on_pty_request,
                .channel_shell_request_function = on_shell_request,
                .channel_pty_window_change_function = on_window_change,
                .channel_exec_request_function = on_exec_request,
                .channel_subsystem_request_function = on_subsystem_request,
                .channel_write_wontblock_function = on_wontblock,
        };
        ssh_callbacks_init(&k->cb);
        ssh_set_channel_callbacks(k->ch, &k->cb);
        c->chans[slot] = k;
        return k->ch;
}

/* Outside every callback: free what is done. */
static void chan_free(struct gw_chan *k)
{
        if (k->proc && k->conn->sbx && !k->exited)
                sbx_proc_release(k->conn->sbx, k->proc);
        /* libssh may keep a channel the client has not closed yet: it must
         * not call us with freed memory */
        ssh_remove_channel_callbacks(k->ch, &k->cb);
        ssh_channel_free(k->ch);
        al_buf_free(&k->in);
        al_buf_free(&k->out);
        al_buf_free(&k->err);
        free(k);
}

/* --- connections ----------------------------------------------------------- */

static int on_auth_none(ssh_session ss, const char *user, void *arg)
{
        struct gw_conn *c = arg;
        struct gw_user *u;
        struct sbx *s;

        if (c->authed)
                return SSH_AUTH_DENIED;
        if (++c->auth_tries > SSH_MAX_AUTH_TRIES) {
                event_active(c->close_ev, EV_TIMEOUT, 0);
                c->closing = true;
                return SSH_AUTH_DENIED;
        }
        u = user ? user_find(user) : NULL;
        s = u ? sbx_find(u->sbx_id) : NULL;
        if (!s)
                return SSH_AUTH_DENIED;
        c->authed = true;
        c->sbx = s;
        sbx_attach(s, &c->peer, false); /* may close us at once: then c->sbx is NULL again */
        if (!c->sbx)
                return SSH_AUTH_DENIED;
        evtimer_del(c->deadline);
        return SSH_AUTH_SUCCESS;
}

static void peer_send(struct sbx_peer *p, json_t *msg)
{
        json_decref(msg); /* no JSON-RPC here */
}

static size_t peer_backlog(struct sbx_peer *p)
{
        return 0;
}

/* The sandbox ended (or refused us): it is going away under this callback. */
static void peer_close(struct sbx_peer *p, int code, const char *reason)
{
        struct gw_conn *c = (struct gw_conn *)((char *)p - offsetof(struct gw_conn, peer));

        c->sbx = NULL;
        c->closing = true;
        event_active(c->close_ev, EV_TIMEOUT, 0);
}

static void conn_update(struct gw_conn *c)
{
        if (c->closing)
                return;
        if (ssh_get_poll_flags(c->ss) & SSH_WRITE_PENDING)
                event_add(c->wev, NULL);
        else
                event_del(c->wev);
}

static void on_conn_io(evutil_socket_t fd, short what, void *arg)
{
        struct gw_conn *c = arg;

        if (c->closing)
                return;
        if (ssh_event_dopoll(c->sev, 0) == SSH_ERROR || (ssh_get_status(c->ss) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
                c->closing = true;
                event_active(c->close_ev, EV_TIMEOUT, 0);
                return;
        }
        /* A window adjust from the client has no callback of its own: what
         * waits for the window goes now if it can. */
        for (int i = 0; i < SSH_MAX_CHANNELS; i++)
                if (c->chans[i] && (al_buf_size(&c->chans[i]->out) || al_buf_size(&c->chans[i]->err)))
                        chan_flush_out(c->chans[i]);
        /* and input that libssh kept for want of room, now that there may be some */
        for (int i = 0; i < SSH_MAX_CHANNELS; i++)
                if (c->chans[i] && c->chans[i]->in_held)
                        chan_pull_in(c->chans[i]);
        conn_update(c);
}

static void on_conn_sweep(evutil_socket_t fd, short what, void *arg)
{
        struct gw_conn *c = arg;

        if (c->closing) {
                conn_close(c);
                return;
        }
        for (int i = 0; i < SSH_MAX_CHANNELS; i++)
                if (c->chans[i] && c->chans[i]->dead) {
                        chan_free(c->chans[i]);
                        c->chans[i] = NULL;
                }
        conn_update(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
        struct gw_conn *c = arg;

        if (!c->authed) {
                c->closing = true;
                conn_close(c);
        }
}

static void conn_close(struct gw_conn *c)
{
        for (struct gw_conn **pp = &gw.conns; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        gw.n_conns--;
        for (int i = 0; i < SSH_MAX_CHANNELS; i++)
                if (c->chans[i])
                        chan_free(c->chans[i]);
        if (c->sbx)
                sbx_detach(c->sbx, &c->peer);
        struct event *evs[] = { c->rev, c->wev, c->close_ev, c->deadline };
        for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
                if (evs[i])
                        event_free(evs[i]);
        if (c->sev) {
                ssh_event_remove_session(c->sev, c->ss);
                ssh_event_free(c->sev);
        }
        ssh_disconnect(c->ss); /* closes the socket */
        ssh_free(c->ss);
        free(c);
}

static int conn_new(int fd)
{
        struct gw_conn *c = calloc(1, sizeof(*c));
        struct timeval tv = { SSH_AUTH_TIMEOUT_S, 0 };

        if (!c)
                return -ENOMEM;
        c->fd = fd;
        c->ss = ssh_new();
        if (!c->ss || ssh_bind_accept_fd(gw.bind, c->ss, fd) != SSH_OK) {
                if (c->ss)
                        ssh_free(c->ss); /* closes fd */
                else
                        close(fd);
                free(c);
                return -EPROTO;
        }
        ssh_set_blocking(c->ss, 0);
        c->peer = (struct sbx_peer){ .send = peer_send, .backlog = peer_backlog, .close = peer_close };
        c->cb = (struct ssh_server_callbacks_struct){ .userdata = c,
                                                      .auth_none_function = on_auth_none,
                                                      .channel_open_request_session_function = on_channel_open };
        ssh_callbacks_init(&c->cb);
        ssh_set_server_callbacks(c->ss, &c->cb);
        ssh_set_auth_methods(c->ss, SSH_AUTH_METHOD_NONE | SSH_AUTH_METHOD_PUBLICKEY);
        c->sev = ssh_event_new();
        c->rev = event_new(gw.base, fd, EV_READ | EV_PERSIST, on_conn_io, c);
        c->wev = event_new(gw.base, fd, EV_WRITE, on_conn_io, c);
        c->close_ev = event_new(gw.base, -1, 0, on_conn_sweep, c);
        c->deadline = evtimer_new(gw.base, on_deadline, c);
        c->next = gw.conns;
        gw.conns = c;
        gw.n_conns++;
        if (!c->sev || !c->rev || !c->wev || !c->close_ev || !c->deadline ||
            ssh_handle_key_exchange(c->ss) == SSH_ERROR || ssh_event_add_session(c->sev, c->ss) != SSH_OK) {
                c->closing = true;
                conn_close(c);
                return -EPROTO;
        }
        event_add(c->rev, NULL);
        evtimer_add(c->deadline, &tv);
        conn_update(c);
        return 0;
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

        if (fd < 0)
                return;
        if (gw.n_conns >= SSH_MAX_CONNS) {
                close(fd);
                return;
        }
        int one = 1; /* small packets (keystrokes, kex) go at once, not after a delayed ack */
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        if (conn_new(fd) < 0)
                al_log(AL_LOG_WARN, "ssh", "a connection failed before the key exchange", NULL);
}

/* --- start and stop --------------------------------------------------------- */

static int host_key_public(const char *path, struct al_error *err)
{
        ssh_key key = NULL;
        char *b64 = NULL;

        if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK ||
            ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK) {
                ssh_key_free(key);
                return al_error_setx(err, EINVAL, "ssh: %s is not a private key (remove it to make a new one)", path);
        }
        snprintf(gw.host_key, sizeof(gw.host_key), "%s %s", ssh_key_type_to_char(ssh_key_type(key)), b64);
        ssh_string_free_char(b64);
        ssh_key_free(key);
        return 0;
}

/* The host key: made once, 0600, never rewritten. */
static int host_key_path(const char *state_dir, char *path, size_t len, struct al_error *err)
{
        char dir[PATH_MAX];
        ssh_key key = NULL;
        char *pem = NULL;

        snprintf(dir, sizeof(dir), "%s/ssh", state_dir);
        snprintf(path, len, "%s/host_ed25519", dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return al_error_set(err, errno, "create %s", dir);
        if (access(path, R_OK) == 0)
                return host_key_public(path, err);
        if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
            ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &pem) != SSH_OK) {
                ssh_key_free(key);
                return al_error_setx(err, EIO, "generate the SSH host key");
        }
        ssh_key_free(key);
        _cleanup_fd_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        int r = fd < 0 || write(fd, pem, strlen(pem)) != (ssize_t)strlen(pem) ? -errno : 0;
        ssh_string_free_char(pem);
        if (r < 0)
                return al_error_set(err, -r, "write %s", path);
        return host_key_public(path, err);
}

static int listen_on(const char *addr, struct al_error *err)
{
        struct sockaddr_storage ss;
        int len = sizeof(ss), one = 1;
        const char *colon = strrchr(addr, ':');
        size_t hl;

        if (!colon || evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &len) < 0)
                return al_error_setx(err, EINVAL, "--ssh-listen: '%s' is not ADDR:PORT", addr);
        hl = (size_t)(colon - addr);
        if (addr[0] == '[' && hl >= 2)
                snprintf(gw.host, sizeof(gw.host), "%.*s", (int)(hl - 2), addr + 1);
        else
                snprintf(gw.host, sizeof(gw.host), "%.*s", (int)hl, addr);
        if (!strcmp(gw.host, "0.0.0.0") || !strcmp(gw.host, "::"))
                gethostname(gw.host, sizeof(gw.host) - 1);
        gw.port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
        gw.lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (gw.lfd < 0)
                return al_error_set(err, errno, "ssh socket");
        setsockopt(gw.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(gw.lfd, (struct sockaddr *)&ss, (socklen_t)len) < 0 || listen(gw.lfd, 64) < 0) {
                int e = errno;
                close(gw.lfd);
                gw.lfd = -1;
                return al_error_set(err, e, "ssh: listen on %s", addr);
        }
        len = sizeof(ss);
        if (getsockname(gw.lfd, (struct sockaddr *)&ss, (socklen_t *)&len) == 0) /* port 0: the one given */
                gw.port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                         : ((struct sockaddr_in *)&ss)->sin_port);
        return 0;
}

int api_ssh_start(struct event_base *base, const char *addr, const char *state_dir, struct al_error *err)
{
        char key[PATH_MAX];
        int r;

        if (gw.running)
                return al_error_setx(err, EBUSY, "the SSH gateway is running already");
        r = host_key_path(state_dir, key, sizeof(key), err);
        if (r < 0 || (r = listen_on(addr, err)) < 0)
                return r;
        gw.base = base;
        gw.bind = ssh_bind_new();
        if (!gw.bind || ssh_bind_options_set(gw.bind, SSH_BIND_OPTIONS_HOSTKEY, key) != SSH_OK) {
                api_ssh_stop();
                return al_error_setx(err, EIO, "ssh: cannot use the host key %s", key);
        }
        gw.lev = event_new(base, gw.lfd, EV_READ | EV_PERSIST, on_accept, NULL);
        if (!gw.lev || event_add(gw.lev, NULL) < 0) {
                api_ssh_stop();
                return al_error_set(err, ENOMEM, "ssh: watch the listener");
        }
        gw.running = true;
        return 0;
}

void api_ssh_stop(void)
{
        while (gw.conns)
                conn_close(gw.conns);
        if (gw.lev)
                event_free(gw.lev);
        if (gw.bind)
                ssh_bind_free(gw.bind);
        if (gw.lfd >= 0)
                close(gw.lfd);
        gw.lev = NULL;
        gw.bind = NULL;
        gw.lfd = -1;
        gw.running = false;
}
