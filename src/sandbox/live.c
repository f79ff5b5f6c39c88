/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common/b64.h"
#include "common/buf.h"
#include "common/chan.h"
#include "common/errno_class.h"
#include "common/log.h"
#include "common/metrics.h"
#include "live.h"
#include "deno.h"
#include "egress.h"
#include "fetch.h"
#include "past.h"

#define SBX_MAX_PEERS 64
#define SBX_MAX_PROCS AL_MAX_PROCS
#define SBX_MAX_CALLS 1024
#define SBX_MAX_WAITERS 16
#define SBX_MAX_IN_STREAMS 256
#define SBX_PEER_HIGH_WATER (1u << 20) /* hold acks while a peer has this much queued */

/* A stream the client sends us (stdin, file content); it may start before
 * the request that claims it, so data is kept until then, capped. */
struct in_stream {
        bool used, ended, failed;
        struct sbx_peer *peer;
        int64_t id;
        struct al_buf data;
        uint32_t proc;     /* bound to a process's stdin (chan id), or 0 */
        json_t *write_rpc; /* a writeFile waiting for the end */
        json_t *write_params;
        const struct sbx_in_sink *sink; /* consumed elsewhere (a fetch body), or NULL */
        void *sink_arg;
};

struct waiter {
        struct sbx_peer *peer;
        json_t *rpc_id;
};

struct proc {
        bool used, started, exited;
        uint32_t chan_id;
        int64_t pid;
        struct sbx_peer *owner;
        json_t *spawn_rpc;              /* until started */
        int64_t out_stream, err_stream; /* 0 = none */
        uint32_t held_ack;              /* output delivered to a busy peer, not yet acknowledged */
        uint32_t stdin_credit;
        int64_t stdin_stream; /* client stream id, -1 = none */
        uint32_t kind, value;
        uint64_t oom_before;
        json_t *result_extra;             /* keys added to the spawn's result (deno.c) */
        const struct sbx_proc_sink *sink; /* driven by another module (ssh), not a peer */
        void *sink_arg;
        struct waiter waiters[SBX_MAX_WAITERS];
        int n_waiters;
};

struct call {
        bool used;
        bool opens_handle;    /* open/create: remember the handle for its peer */
        bool streams_entries; /* walk/expandGlob: the entries go out as a stream */
        uint32_t chan_id;
        struct sbx_peer *peer;
        json_t *rpc_id;
        int64_t abort_id;                                         /* the client's abortId, or -1 */
        void (*done)(struct sbx *s, uint64_t arg, json_t *reply); /* sbx_call: reply or NULL */
        uint64_t done_arg;
};

struct handle {
        struct sbx_peer *peer;
        int64_t id;
};

struct sbx {
        struct sbx *next;
        struct event_base *base;
        char id[RT_ID_LEN + 1];
        struct rt_sandbox *rt;
        struct bufferevent *chan;
        struct event *timer;
        struct event *free_ev; /* frees a killed sandbox on the next turn of the loop */
        int64_t stop_at_ms;
        int64_t created_ms;
        json_t *labels;
        json_t *netlog;          /* the egress log: the last AL_MAX_NETLOG records */
        uint64_t netlog_dropped; /* records that fell off its front */
        struct sbx_peer *peers[SBX_MAX_PEERS];
        struct sbx_peer *primary;
        struct proc procs[SBX_MAX_PROCS];
        struct call calls[SBX_MAX_CALLS];
        struct in_stream in[SBX_MAX_IN_STREAMS];
        struct handle handles[AL_MAX_HANDLES];
        struct al_buf reply;
        uint32_t reply_id;
        uint32_t next_chan_id;
        bool dying;
        bool adopted;        /* made by an earlier airlockd */
        bool orphan_session; /* adopted session sandbox: ends unless a client comes back */
        struct store *store; /* where it is recorded (sbx_record), or NULL */
        char token_id[STORE_ID_MAX];
        json_t *state; /* what a restarted airlockd needs (store's state column) */
};

static struct sbx *all;
static void (*gone_hook)(const char *id);
static int64_t next_stream_id = 1000; /* server-wide: the SDK's maps are per client process */

/* --- small helpers ------------------------------------------------------- */

json_t *sbx_error_object(const char *cls, const char *message, const char *code)
{
        return json_pack("{s:s,s:s,s:s?,s:n}", "constructorName", cls, "message", message, "code", code, "stack");
}

json_t *sbx_rpc_result(json_t *id, json_t *result)
{
        api_metrics_rpc_done(id, result);
        return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id, "result", result);
}

static void reply_ok(struct sbx_peer *p, json_t *id, json_t *value)
{
        if (p)
                p->send(p, sbx_rpc_result(id, json_pack("{s:o}", "ok", value ? value : json_null())));
        else
                json_decref(value);
}

static void reply_err(struct sbx_peer *p, json_t *id, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static void reply_err(struct sbx_peer *p, json_t *id, int code, const char *fmt, ...)
{
        char msg[AL_MAX_ERRMSG];
        va_list ap;

        if (!p)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        p->send(p, sbx_rpc_result(id, json_pack("{s:o}", "error",
                                                sbx_error_object(al_errno_class(code), msg, strerrorname_np(code)))));
}

void sbx_reply_ok(struct sbx_peer *p, json_t *id, json_t *value)
{
        reply_ok(p, id, value);
}

void sbx_reply_err(struct sbx_peer *p, json_t *id, int code, const char *fmt, ...)
{
        char msg[AL_MAX_ERRMSG];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        reply_err(p, id, code, "%s", msg);
}

static void notify(struct sbx_peer *p, const char *method, json_t *params)
{
        if (p)
                p->send(p, json_pack("{s:s,s:s,s:o}", "jsonrpc", "2.0", "method", method, "params", params));
        else
                json_decref(params);
}

static void chan_send(struct sbx *s, uint16_t type, uint32_t id, const void *p, size_t n)
{
        uint8_t hdr[AL_CHAN_HDR];
        al_chan_put_header(hdr, type, id, (uint32_t)n);
        bufferevent_write(s->chan, hdr, sizeof(hdr));
        if (n)
                bufferevent_write(s->chan, p, n);
}

/* A JSON call to airlock-init, split into frames as needed. */
static void chan_send_json(struct sbx *s, uint16_t last_type, uint16_t part_type, uint32_t id, json_t *msg)
{
        char *text = json_dumps(msg, JSON_COMPACT);
        size_t len = text ? strlen(text) : 0, off = 0;

        while (part_type && len - off > AL_CHAN_MAX_PAYLOAD) {
                chan_send(s, part_type, id, text + off, AL_CHAN_MAX_PAYLOAD);
                off += AL_CHAN_MAX_PAYLOAD;
        }
        chan_send(s, last_type, id, text ? text + off : "", len - off);
        free(text);
}

static struct proc *proc_by_chan(struct sbx *s, uint32_t id)
{
        for (int i = 0; i < SBX_MAX_PROCS; i++)
                if (s->procs[i].used && s->procs[i].chan_id == id)
                        return &s->procs[i];
        return NULL;
}

static struct proc *proc_by_pid(struct sbx *s, int64_t pid)
{
        for (int i = 0; i < SBX_MAX_PROCS; i++)
                if (s->procs[i].used && s->procs[i].started && s->procs[i].pid == pid)
                        return &s->procs[i];
        return NULL;
}

static struct call *call_by_chan(struct sbx *s, uint32_t id)
{
        for (int i = 0; i < SBX_MAX_CALLS; i++)
                if (s->calls[i].used && s->calls[i].chan_id == id)
                        return &s->calls[i];
        return NULL;
}

static struct in_stream *in_find(struct sbx *s, struct sbx_peer *p, int64_t id)
{
        for (int i = 0; i < SBX_MAX_IN_STREAMS; i++)
                if (s->in[i].used && s->in[i].peer == p && s->in[i].id == id)
                        return &s->in[i];
        return NULL;
}

static void in_free(struct in_stream *st)
{
        al_buf_free(&st->data);
        json_decref(st->write_rpc);
        json_decref(st->write_params);
        memset(st, 0, sizeof(*st));
}

static uint32_t next_id(struct sbx *s)
{
        if (++s->next_chan_id == 0)
                s->next_chan_id = 1;
        return s->next_chan_id;
}

/* --- registry and lifecycle --------------------------------------------- */

struct sbx *sbx_find(const char *id)
{
        for (struct sbx *s = all; s; s = s->next)
                if (strcmp(s->id, id) == 0 && !s->dying)
                        return s;
        return NULL;
}

unsigned sbx_count(void)
{
        unsigned n = 0;
        for (struct sbx *s = all; s; s = s->next)
                n += !s->dying;
        return n;
}

const char *sbx_id(const struct sbx *s)
{
        return s->id;
}

int64_t sbx_stop_at(const struct sbx *s)
{
        return s->stop_at_ms;
}

static int64_t now_ms(void)
{
        struct timeval tv;
        gettimeofday(&tv, NULL);
        return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
        sbx_kill(arg, 1001, "sandbox timeout");
}

int sbx_set_stop_at(struct sbx *s, int64_t stop_at_ms)
{
        int64_t delay = stop_at_ms - now_ms();
        struct timeval tv;

        /* A client's clock and wishes are bounded: at most AL_MAX_LIFETIME_MS ahead. */
        if (delay > AL_MAX_LIFETIME_MS) {
                delay = AL_MAX_LIFETIME_MS;
                stop_at_ms = now_ms() + delay;
        }
        if (delay < 0)
                delay = 0;
        tv.tv_sec = delay / 1000;
        tv.tv_usec = (delay % 1000) * 1000;
        s->stop_at_ms = stop_at_ms;
        if (s->store && s->state) {
                struct al_error err = { 0 };
                json_object_set_new(s->state, "stop_at_ms", json_integer(stop_at_ms));
                if (store_sandbox_set_state(s->store, s->id, s->state, &err) < 0)
                        al_log(AL_LOG_ERROR, "sandbox", "cannot record the stop time", "id", s->id, "error", err.msg,
                               NULL);
        }
        return evtimer_add(s->timer, &tv);
}

static void free_proc(struct proc *pr)
{
        json_decref(pr->spawn_rpc);
        json_decref(pr->result_extra);
        for (int i = 0; i < pr->n_waiters; i++)
                json_decref(pr->waiters[i].rpc_id);
        memset(pr, 0, sizeof(*pr));
}

/* A free process slot. An exited process keeps its slot to answer a late
 * processWait; when none is free, the one that exited first (no wait
 * pending, no stdin stream) gives its slot up, so a sandbox may run any
 * number of commands over its life, SBX_MAX_PROCS at once. */
static struct proc *free_slot(struct sbx *s)
{
        struct proc *old = NULL;

        for (int i = 0; i < SBX_MAX_PROCS; i++) {
                struct proc *pr = &s->procs[i];
                if (!pr->used)
                        return pr;
                if (pr->exited && !pr->n_waiters && pr->stdin_stream < 0 && (!old || pr->chan_id < old->chan_id))
                        old = pr;
        }
        if (old)
                free_proc(old);
        return old;
}

static void unlink_sbx(struct sbx *s)
{
        for (struct sbx **pp = &all; *pp; pp = &(*pp)->next)
                if (*pp == s) {
                        *pp = s->next;
                        break;
                }
}

enum sbx_end {
        SBX_END_ASYNC,
        SBX_END_SYNC,
        SBX_END_RELEASE
};
static void sbx_free_now(struct sbx *s, enum sbx_end how);

static void sbx_free(struct sbx *s)
{
        sbx_free_now(s, SBX_END_ASYNC);
}

static void sbx_free_now(struct sbx *s, enum sbx_end how)
{
        unlink_sbx(s);
        if (how != SBX_END_RELEASE) {
                struct al_error err = { 0 };
                if (s->store && store_sandbox_stopped(s->store, s->id, now_ms(), &err) < 0)
                        al_log(AL_LOG_ERROR, "sandbox", "cannot record the end", "id", s->id, "error", err.msg, NULL);
                if (gone_hook)
                        gone_hook(s->id);
        }
        json_decref(s->state);
        past_sbx_gone(s);
        fetch_sbx_gone(s);
        deno_sbx_gone(s);
        egress_del(s->id); /* the proxy closes the door before the sandbox goes */
        json_decref(s->netlog);
        for (int i = 0; i < SBX_MAX_PROCS; i++)
                if (s->procs[i].used)
                        free_proc(&s->procs[i]);
        for (int i = 0; i < SBX_MAX_CALLS; i++)
                json_decref(s->calls[i].rpc_id);
        for (int i = 0; i < SBX_MAX_IN_STREAMS; i++)
                if (s->in[i].used)
                        in_free(&s->in[i]);
        al_buf_free(&s->reply);
        json_decref(s->labels);
        if (s->timer)
                event_free(s->timer);
        if (s->free_ev)
                event_free(s->free_ev);
        if (s->chan)
                bufferevent_free(s->chan);
        if (how == SBX_END_ASYNC)
                rt_sandbox_destroy_async(s->rt);
        else if (how == SBX_END_SYNC)
                rt_sandbox_destroy(s->rt);
        else
                rt_sandbox_release(s->rt);
        free(s);
}

static void on_deferred_free(evutil_socket_t fd, short what, void *arg)
{
        sbx_free(arg);
}

static void close_peers(struct sbx *s, int code, const char *reason)
{
        struct sbx_peer *peers[SBX_MAX_PEERS];

        s->dying = true;
        api_metrics_live_set(sbx_count());
        fetch_sbx_gone(s);
        bufferevent_disable(s->chan, EV_READ | EV_WRITE);
        evtimer_del(s->timer);
        memcpy(peers, s->peers, sizeof(peers));
        memset(s->peers, 0, sizeof(s->peers));
        for (int i = 0; i < SBX_MAX_PEERS; i++)
                if (peers[i])
                        peers[i]->close(peers[i], code, reason);
}

/* Close every peer and go. The memory is freed from the event loop, never
 * under a callback of ours that may still be on the stack. */
void sbx_kill(struct sbx *s, int code, const char *reason)
{
        struct timeval now = { 0, 0 };

        if (s->dying)
                return;
        close_peers(s, code, reason);
        if (evtimer_add(s->free_ev, &now) < 0)
                sbx_free(s);
}

/* At shutdown, outside every callback: end each sandbox and remove it
 * completely (mounts, cgroups, uid slot) before the process exits. */
void sbx_kill_all(void)
{
        while (all) {
                struct sbx *s = all;
                if (!s->dying)
                        close_peers(s, 1001, "server shutting down");
                sbx_free_now(s, SBX_END_SYNC); /* also cancels a pending deferred free */
        }
}

/* At shutdown, leaving the sandboxes running for the next start: clients
 * hear 1001 and may reconnect to that one (Sandbox.connect). */
void sbx_release_all(void)
{
        while (all) {
                struct sbx *s = all;
                bool dying = s->dying;
                if (!dying)
                        close_peers(s, 1001, "server restarting");
                sbx_free_now(s, dying ? SBX_END_SYNC : SBX_END_RELEASE);
        }
}

void sbx_set_gone_hook(void (*fn)(const char *id))
{
        gone_hook = fn;
}

const char *sbx_token_id(const struct sbx *s)
{
        return s->token_id;
}

bool sbx_adopted(const struct sbx *s)
{
        return s->adopted;
}

int sbx_record_pending(struct store *st, const char *id, const char *token_id, json_t *labels, struct al_error *err)
{
        struct store_sandbox rec = { .created_ms = now_ms() };
        json_t *pending = json_pack("{s:b}", "pending", 1);
        int r;

        snprintf(rec.id, sizeof(rec.id), "%s", id);
        snprintf(rec.token_id, sizeof(rec.token_id), "%s", token_id);
        rec.labels = labels ? labels : json_object();
        rec.state = pending;
        r = store_sandbox_insert(st, &rec, err);
        if (!labels)
                json_decref(rec.labels);
        json_decref(pending);
        return r;
}

int sbx_record(struct sbx *s, struct store *st, const char *token_id, json_t *labels, json_t *state,
               struct al_error *err)
{
        struct rt_ident ident;
        int r;

        if (rt_sandbox_ident(s->rt, &ident) < 0)
                return al_error_setx(err, ESRCH, "the sandbox's airlock-init is gone");
        s->state = json_deep_copy(state);
        if (!s->state)
                return al_error_set(err, ENOMEM, "record sandbox");
        json_object_set_new(s->state, "pid", json_integer(ident.pid));
        json_object_set_new(s->state, "start_time", json_integer((json_int_t)ident.start_time));
        snprintf(s->token_id, sizeof(s->token_id), "%s", token_id);
        /* The row exists since before the sandbox did (sbx_record_pending). */
        r = store_sandbox_set_state(st, s->id, s->state, err);
        if (r < 0)
                return r;
        s->store = st;
        if (labels)
                sbx_set_labels(s, labels);
        return 0;
}

bool sbx_claim_session(struct sbx *s)
{
        if (!s->orphan_session)
                return false;
        s->orphan_session = false;
        evtimer_del(s->timer);
        return true;
}

json_t *sbx_state_get(const struct sbx *s, const char *key)
{
        return json_object_get(s->state, key);
}

int sbx_state_set(struct sbx *s, const char *key, json_t *value)
{
        struct al_error err = { 0 };

        if (!s->state || json_object_set_new(s->state, key, value) < 0)
                return -ENOMEM;
        if (s->store && store_sandbox_set_state(s->store, s->id, s->state, &err) < 0) {
                al_log(AL_LOG_ERROR, "sandbox", "cannot record its state", "id", s->id, "key", key, "error", err.msg,
                       NULL);
                return -EIO;
        }
        return 0;
}

void sbx_attach(struct sbx *s, struct sbx_peer *p, bool primary)
{
        for (int i = 0; i < SBX_MAX_PEERS; i++)
                if (!s->peers[i]) {
                        s->peers[i] = p;
                        if (primary)
                                s->primary = p;
                        return;
                }
        p->close(p, 1013, "too many connections to this sandbox");
}

void sbx_detach(struct sbx *s, struct sbx_peer *p)
{
        bool found = false;

        for (int i = 0; i < SBX_MAX_PEERS; i++)
                if (s->peers[i] == p) {
                        s->peers[i] = NULL;
                        found = true;
                }
        if (!found)
                return;
        /* Forget the peer everywhere; its processes keep running and their
         * output keeps flowing (acknowledged, dropped). */
        for (int i = 0; i < SBX_MAX_PROCS; i++) {
                struct proc *pr = &s->procs[i];
                if (!pr->used)
                        continue;
                if (pr->owner == p) {
                        pr->owner = NULL;
                        pr->sink_arg = NULL; /* a released sink process: output dropped, slot freed at exit */
                        if (pr->held_ack) {
                                uint8_t b[4];
                                al_put_u32(b, pr->held_ack);
                                chan_send(s, AL_MSG_ACK, pr->chan_id, b, 4);
                                pr->held_ack = 0;
                        }
                }
                for (int w = 0; w < pr->n_waiters; w++)
                        if (pr->waiters[w].peer == p)
                                pr->waiters[w].peer = NULL;
        }
        for (int i = 0; i < SBX_MAX_CALLS; i++)
                if (s->calls[i].used && s->calls[i].peer == p)
                        s->calls[i].peer = NULL;
        for (int i = 0; i < AL_MAX_HANDLES; i++)
                if (s->handles[i].peer == p) {
                        json_t *msg = json_pack("{s:s,s:{s:I}}", "method", "fileClose", "params", "fileHandleId",
                                                (json_int_t)s->handles[i].id);
                        chan_send_json(s, AL_MSG_CALL, AL_MSG_CALL_PART, next_id(s), msg); /* no one waits */
                        json_decref(msg);
                        s->handles[i].peer = NULL;
                }
        for (int i = 0; i < SBX_MAX_IN_STREAMS; i++)
                if (s->in[i].used && s->in[i].peer == p)
                        in_free(&s->in[i]);
        fetch_peer_gone(s, p);
        deno_peer_gone(s, p);
        past_peer_gone(s, p);
        if (p == s->primary) {
                s->primary = NULL;
                if (s->stop_at_ms == 0) /* a session sandbox ends with its creator */
                        sbx_kill(s, 1000, "session ended");
        }
}

/* --- frames from airlock-init -------------------------------------------- */

static void end_streams(struct proc *pr)
{
        int64_t ids[2] = { pr->out_stream, pr->err_stream };
        for (int i = 0; i < 2; i++)
                if (ids[i])
                        notify(pr->owner, "$sandbox.stream.end", json_pack("{s:I}", "streamId", (json_int_t)ids[i]));
        pr->out_stream = pr->err_stream = 0;
}

static json_t *wait_result(struct sbx *s, struct proc *pr)
{
        static const char *const names[] = {
                [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT",   [SIGILL] = "SIGILL",
                [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS",     [SIGFPE] = "SIGFPE",
                [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV",   [SIGUSR2] = "SIGUSR2",
                [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",   [SIGCHLD] = "SIGCHLD",
                [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",   [SIGXCPU] = "SIGXCPU",
                [SIGXFSZ] = "SIGXFSZ", [SIGSYS] = "SIGSYS",   [SIGWINCH] = "SIGWINCH",
        };
        bool sig = pr->kind == AL_EXIT_SIGNAL;
        int code = sig ? 128 + (int)(pr->value & 0x7f) : (int)(pr->value & 0xff);
        const char *name = sig && pr->value < sizeof(names) / sizeof(names[0]) ? names[pr->value] : NULL;
        struct rt_stats st = { 0 };
        bool oom = false;

        if (sig && pr->value == SIGKILL && rt_sandbox_stats(s->rt, &st) == 0)
                oom = st.oom_kills > pr->oom_before;
        return json_pack("{s:b,s:i,s:s?,s:s?}", "success", !sig && code == 0, "code", code, "signal", name, "oom",
                         oom ? "high-confidence" : NULL);
}

static void on_exit_frame(struct sbx *s, struct proc *pr, const struct al_frame *f)
{
        if (f->len != 8)
                return;
        pr->kind = al_get_u32(f->payload);
        pr->value = al_get_u32(f->payload + 4);
        if (!pr->started || pr->sink) { /* a failed spawn's error went out already */
                if (pr->started && pr->sink && pr->sink_arg) {
                        bool sig = pr->kind == AL_EXIT_SIGNAL;
                        pr->sink->on_exit(pr->sink_arg, sig ? 128 + (int)(pr->value & 0x7f) : (int)(pr->value & 0xff),
                                          sig ? (int)(pr->value & 0x7f) : 0);
                }
                free_proc(pr);
                return;
        }
        pr->exited = true;
        api_metrics_process_exit(wait_result(s, pr)); /* an OOM kill counts once, waited for or not */
        end_streams(pr);
        deno_proc_exited(s, pr->pid);
        for (int i = 0; i < pr->n_waiters; i++) {
                reply_ok(pr->waiters[i].peer, pr->waiters[i].rpc_id, wait_result(s, pr));
                json_decref(pr->waiters[i].rpc_id);
        }
        pr->n_waiters = 0;
}

static void on_started(struct sbx *s, struct proc *pr, const struct al_frame *f)
{
        if (f->len != 4 || pr->started)
                return;
        pr->started = true;
        pr->pid = al_get_u32(f->payload);
        if (pr->sink)
                return;
        json_t *res = json_pack("{s:I,s:o,s:o}", "pid", (json_int_t)pr->pid, "stdoutStreamId",
                                pr->out_stream ? json_integer(pr->out_stream) : json_null(), "stderrStreamId",
                                pr->err_stream ? json_integer(pr->err_stream) : json_null());
        if (pr->result_extra)
                json_object_update(res, pr->result_extra);
        deno_proc_started(s, pr->chan_id, pr->pid);
        reply_ok(pr->owner, pr->spawn_rpc, res);
        json_decref(pr->spawn_rpc);
        pr->spawn_rpc = NULL;
        int64_t ids[2] = { pr->out_stream, pr->err_stream };
        for (int i = 0; i < 2; i++)
                if (ids[i])
                        notify(pr->owner, "$sandbox.stream.start", json_pack("{s:I}", "streamId", (json_int_t)ids[i]));
}

static void pump_stdin(struct sbx *s, struct proc *pr);

static void on_output(struct sbx *s, struct proc *pr, const struct al_frame *f)
{
        int64_t sid = f->type == AL_MSG_STDOUT ? pr->out_stream : pr->err_stream;
        uint8_t b[4];

        if (pr->sink && pr->sink_arg) { /* it acknowledges with sbx_proc_ack once the bytes went on */
                pr->sink->on_output(pr->sink_arg, f->type == AL_MSG_STDERR, f->payload, f->len);
                return;
        }

        deno_proc_output(s, pr->chan_id, f->type == AL_MSG_STDERR, f->payload, f->len);
        if (sid && pr->owner) {
                size_t n;
                char *data = al_b64_encode(f->payload, f->len, &n);
                notify(pr->owner, "$sandbox.stream.enqueue",
                       json_pack("{s:I,s:s%}", "streamId", (json_int_t)sid, "data", data ? data : "", n));
                free(data);
        }
        /* Acknowledge at once unless the client is behind: then the window
         * closes and the process inside waits for the client. */
        if (pr->owner && pr->owner->backlog(pr->owner) > SBX_PEER_HIGH_WATER) {
                pr->held_ack += f->len;
                return;
        }
        al_put_u32(b, f->len + pr->held_ack);
        pr->held_ack = 0;
        chan_send(s, AL_MSG_ACK, f->id, b, 4);
}

static void on_error_frame(struct sbx *s, const struct al_frame *f)
{
        char msg[AL_MAX_ERRMSG];
        int code = f->len >= 4 ? (int)al_get_u32(f->payload) : EIO;
        size_t n = f->len > 4 ? f->len - 4 : 0;
        struct proc *pr = proc_by_chan(s, f->id);
        struct call *c = call_by_chan(s, f->id);

        if (n >= sizeof(msg))
                n = sizeof(msg) - 1;
        for (size_t i = 0; i < n; i++) { /* text from inside: printable only */
                unsigned char ch = f->payload[4 + i];
                msg[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
        }
        msg[n] = '\0';
        if (code <= 0 || code > 4095)
                code = EIO;
        if (pr && !pr->started && pr->sink) {
                void *arg = pr->sink_arg;
                pr->sink_arg = NULL; /* released: the exit that may follow frees the slot */
                if (arg)
                        pr->sink->on_failed(arg, code, msg);
        } else if (pr && !pr->started && pr->spawn_rpc) {
                reply_err(pr->owner, pr->spawn_rpc, code, "%s", msg);
                json_decref(pr->spawn_rpc);
                pr->spawn_rpc = NULL;
                pr->owner = NULL;
        } else if (c && c->done) {
                void (*done)(struct sbx *, uint64_t, json_t *) = c->done;
                uint64_t arg = c->done_arg;
                memset(c, 0, sizeof(*c));
                done(s, arg, NULL);
        } else if (c) {
                reply_err(c->peer, c->rpc_id, code, "%s", msg);
                json_decref(c->rpc_id);
                memset(c, 0, sizeof(*c));
        }
}

/* walk/expandGlob: one JSON object per stream chunk, as the SDK parses them. */
static void stream_entries(struct sbx_peer *p, json_t *rpc_id, json_t *entries)
{
        int64_t sid = next_stream_id++;
        size_t i;
        json_t *e;

        reply_ok(p, rpc_id, json_pack("{s:I}", "streamId", (json_int_t)sid));
        notify(p, "$sandbox.stream.start", json_pack("{s:I}", "streamId", (json_int_t)sid));
        json_array_foreach (entries, i, e) {
                if (!json_is_object(e))
                        continue;
                char *text = json_dumps(e, JSON_COMPACT);
                size_t n;
                char *b64 = text ? al_b64_encode((const uint8_t *)text, strlen(text), &n) : NULL;
                if (b64)
                        notify(p, "$sandbox.stream.enqueue",
                               json_pack("{s:I,s:s%}", "streamId", (json_int_t)sid, "data", b64, n));
                free(b64);
                free(text);
        }
        notify(p, "$sandbox.stream.end", json_pack("{s:I}", "streamId", (json_int_t)sid));
}

static void on_reply(struct sbx *s, const struct al_frame *f)
{
        struct call *c = call_by_chan(s, f->id);
        json_error_t jerr;
        json_t *v;

        if (al_buf_size(&s->reply) && s->reply_id != f->id)
                al_buf_free(&s->reply);
        s->reply_id = f->id;
        if (al_buf_append(&s->reply, f->payload, f->len) < 0) {
                al_buf_free(&s->reply);
                if (c) {
                        reply_err(c->peer, c->rpc_id, E2BIG, "reply larger than %u bytes", AL_MAX_CALL);
                        json_decref(c->rpc_id);
                        memset(c, 0, sizeof(*c));
                }
                return;
        }
        if (f->type == AL_MSG_REPLY_PART)
                return;
        /* Hostile bytes: jansson parses them with a cap, and only an envelope passes. */
        v = json_loadb((const char *)al_buf_head(&s->reply), al_buf_size(&s->reply), JSON_ALLOW_NUL, &jerr);
        al_buf_free(&s->reply);
        if (!c) {
                json_decref(v);
                return;
        }
        if (c->done) {
                void (*done)(struct sbx *, uint64_t, json_t *) = c->done;
                uint64_t arg = c->done_arg;
                memset(c, 0, sizeof(*c));
                done(s, arg, json_is_object(v) ? json_object_get(v, "ok") : NULL);
                json_decref(v);
                return;
        }
        if (!json_is_object(v) || (!json_object_get(v, "ok") && !json_object_get(v, "error"))) {
                json_decref(v);
                reply_err(c->peer, c->rpc_id, EPROTO, "malformed reply from the sandbox");
        } else if (c->peer && c->streams_entries && json_is_object(json_object_get(v, "ok"))) {
                stream_entries(c->peer, c->rpc_id, json_object_get(json_object_get(v, "ok"), "entries"));
                json_decref(v);
        } else if (c->peer) {
                json_t *hid = json_object_get(json_object_get(v, "ok"), "fileHandleId");
                if (c->opens_handle && json_is_integer(hid)) {
                        for (int i = 0; i < AL_MAX_HANDLES; i++)
                                if (!s->handles[i].peer) {
                                        s->handles[i] = (struct handle){ c->peer, json_integer_value(hid) };
                                        break;
                                }
                }
                c->peer->send(c->peer, sbx_rpc_result(c->rpc_id, v));
        } else {
                json_decref(v);
        }
        json_decref(c->rpc_id);
        memset(c, 0, sizeof(*c));
}

static void on_frame(struct sbx *s, const struct al_frame *f)
{
        struct proc *pr = proc_by_chan(s, f->id);

        switch (f->type) {
        case AL_MSG_STDOUT:
        case AL_MSG_STDERR:
                if (pr)
                        on_output(s, pr, f);
                break;
        case AL_MSG_STARTED:
                if (pr)
                        on_started(s, pr, f);
                break;
        case AL_MSG_EXIT:
                if (pr)
                        on_exit_frame(s, pr, f);
                break;
        case AL_MSG_ACK:
                if (pr && f->len == 4) {
                        uint64_t c = (uint64_t)pr->stdin_credit + al_get_u32(f->payload);
                        pr->stdin_credit = c > AL_CHAN_WINDOW ? AL_CHAN_WINDOW : (uint32_t)c;
                        if (pr->sink && pr->sink_arg)
                                pr->sink->on_stdin_credit(pr->sink_arg);
                        pump_stdin(s, pr);
                }
                break;
        case AL_MSG_ERROR:
                on_error_frame(s, f);
                break;
        case AL_MSG_REPLY_PART:
        case AL_MSG_REPLY:
                on_reply(s, f);
                break;
        default:
                break; /* hello; anything else from inside is ignored */
        }
}

static void on_chan_read(struct bufferevent *bev, void *arg)
{
        struct sbx *s = arg;
        struct evbuffer *in = bufferevent_get_input(bev);
        struct al_frame f;

        for (;;) {
                size_t avail = evbuffer_get_length(in);
                uint8_t hdr[AL_CHAN_HDR];
                if (avail < AL_CHAN_HDR)
                        return;
                evbuffer_copyout(in, hdr, sizeof(hdr));
                long need = al_chan_decode(hdr, sizeof(hdr), &f);
                if (need < 0) {
                        sbx_kill(s, 1011, "sandbox channel broken");
                        return;
                }
                uint32_t total = AL_CHAN_HDR + al_get_u32(hdr);
                if (avail < total)
                        return;
                uint8_t *frame = evbuffer_pullup(in, total);
                if (al_chan_decode(frame, total, &f) <= 0) {
                        sbx_kill(s, 1011, "sandbox channel broken");
                        return;
                }
                on_frame(s, &f);
                if (s->dying)
                        return;
                evbuffer_drain(in, total);
        }
}

static void on_chan_event(struct bufferevent *bev, short what, void *arg)
{
        if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
                sbx_kill(arg, 1011, "the sandbox ended");
}

void sbx_netlog_add(struct sbx *s, json_t *rec)
{
        if (!s->netlog)
                s->netlog = json_array();
        if (json_array_size(s->netlog) >= AL_MAX_NETLOG) {
                json_array_remove(s->netlog, 0);
                s->netlog_dropped++;
        }
        json_array_append_new(s->netlog, rec);
        fetch_netlog_note(s, rec);
}

json_t *sbx_netlog(const struct sbx *s)
{
        return json_pack("{s:s, s:O, s:I}", "sandbox_id", s->id, "records", s->netlog ? s->netlog : json_array(),
                         "dropped", (json_int_t)s->netlog_dropped);
}

const struct rt_sandbox *sbx_rt(const struct sbx *s)
{
        return s->rt;
}

/* A sandbox-wide variable, set before any client call can spawn. */
void sbx_env_set(struct sbx *s, const char *key, const char *value)
{
        json_t *msg = json_pack("{s:s,s:{s:s,s:s}}", "method", "envSet", "params", "key", key, "value", value);

        if (msg)
                chan_send_json(s, AL_MSG_CALL, AL_MSG_CALL_PART, next_id(s), msg); /* no one waits */
        json_decref(msg);
}

void sbx_set_labels(struct sbx *s, json_t *labels)
{
        json_decref(s->labels);
        s->labels = json_incref(labels);
}

/* Wrap a runtime sandbox (new or adopted) and start relaying its channel. */
static struct sbx *sbx_wrap(struct event_base *base, const char *id, int64_t created_ms,
                            int (*make)(const void *arg, struct rt_sandbox **ret, struct al_error *err),
                            const void *arg, struct al_error *err)
{
        struct sbx *s = calloc(1, sizeof(*s));

        if (!s) {
                al_error_set(err, ENOMEM, "allocate sandbox");
                return NULL;
        }
        snprintf(s->id, sizeof(s->id), "%s", id);
        s->base = base;
        s->created_ms = created_ms;
        al_buf_init(&s->reply, AL_MAX_CALL);
        if (make(arg, &s->rt, err) < 0) {
                free(s);
                return NULL;
        }
        s->chan = bufferevent_socket_new(base, rt_sandbox_chan_fd(s->rt), 0);
        s->timer = evtimer_new(base, on_timer, s);
        s->free_ev = evtimer_new(base, on_deferred_free, s);
        if (!s->chan || !s->timer || !s->free_ev) {
                al_error_set(err, ENOMEM, "set up the sandbox channel");
                sbx_free(s);
                return NULL;
        }
        evutil_make_socket_nonblocking(rt_sandbox_chan_fd(s->rt));
        bufferevent_setcb(s->chan, on_chan_read, NULL, on_chan_event, s);
        bufferevent_enable(s->chan, EV_READ | EV_WRITE);
        s->next = all;
        all = s;
        api_metrics_live_set(sbx_count());
        return s;
}

static int make_new(const void *arg, struct rt_sandbox **ret, struct al_error *err)
{
        return rt_sandbox_create(arg, ret, err);
}

struct sbx *sbx_create(struct event_base *base, const struct rt_config *cfg, int64_t stop_at_ms, struct al_error *err)
{
        struct sbx *s = sbx_wrap(base, cfg->id, now_ms(), make_new, cfg, err);

        if (s && stop_at_ms > 0)
                sbx_set_stop_at(s, stop_at_ms);
        return s;
}

struct adopt_arg {
        const char *id;
        struct rt_ident ident;
};

static int make_adopted(const void *arg, struct rt_sandbox **ret, struct al_error *err)
{
        const struct adopt_arg *a = arg;
        return rt_sandbox_adopt(a->id, &a->ident, ret, err);
}

struct sbx *sbx_adopt(struct event_base *base, struct store *st, const struct store_sandbox *rec, unsigned grace_ms,
                      struct al_error *err)
{
        json_t *pid = json_object_get(rec->state, "pid"), *start = json_object_get(rec->state, "start_time");
        struct adopt_arg a = { .id = rec->id };
        struct sbx *s;

        if (!json_is_integer(pid) || !json_is_integer(start)) {
                al_error_setx(err, EINVAL, "sandbox %s: its record has no pid", rec->id);
                return NULL;
        }
        a.ident.pid = (pid_t)json_integer_value(pid);
        a.ident.start_time = (uint64_t)json_integer_value(start);
        s = sbx_wrap(base, rec->id, rec->created_ms, make_adopted, &a, err);
        if (!s)
                return NULL;
        s->adopted = true;
        s->store = st;
        s->state = json_deep_copy(rec->state);
        snprintf(s->token_id, sizeof(s->token_id), "%s", rec->token_id);
        sbx_set_labels(s, rec->labels);
        int64_t stop_at = json_integer_value(json_object_get(rec->state, "stop_at_ms"));
        if (stop_at > 0) {
                sbx_set_stop_at(s, stop_at);
        } else {
                struct timeval tv = { grace_ms / 1000, (grace_ms % 1000) * 1000 };
                s->orphan_session = true;
                evtimer_add(s->timer, &tv);
        }
        return s;
}

/* --- JSON-RPC methods ----------------------------------------------------- */

static const struct {
        const char *name;
        int signo;
} signal_names[] = {
        { "SIGHUP", SIGHUP },   { "SIGINT", SIGINT },       { "SIGQUIT", SIGQUIT }, { "SIGILL", SIGILL },
        { "SIGTRAP", SIGTRAP }, { "SIGABRT", SIGABRT },     { "SIGIOT", SIGABRT },  { "SIGBUS", SIGBUS },
        { "SIGFPE", SIGFPE },   { "SIGKILL", SIGKILL },     { "SIGUSR1", SIGUSR1 }, { "SIGSEGV", SIGSEGV },
        { "SIGUSR2", SIGUSR2 }, { "SIGPIPE", SIGPIPE },     { "SIGALRM", SIGALRM }, { "SIGTERM", SIGTERM },
        { "SIGCHLD", SIGCHLD }, { "SIGCONT", SIGCONT },     { "SIGSTOP", SIGSTOP }, { "SIGTSTP", SIGTSTP },
        { "SIGTTIN", SIGTTIN }, { "SIGTTOU", SIGTTOU },     { "SIGURG", SIGURG },   { "SIGXCPU", SIGXCPU },
        { "SIGXFSZ", SIGXFSZ }, { "SIGVTALRM", SIGVTALRM }, { "SIGPROF", SIGPROF }, { "SIGWINCH", SIGWINCH },
        { "SIGIO", SIGIO },     { "SIGPOLL", SIGIO },       { "SIGPWR", SIGPWR },   { "SIGSYS", SIGSYS },
};

static int signal_number(const char *name)
{
        if (!name)
                return SIGTERM;
        for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
                if (strcmp(signal_names[i].name, name) == 0)
                        return signal_names[i].signo;
        return -1;
}

static int64_t json_int(json_t *params, const char *key, int64_t def)
{
        json_t *v = json_object_get(params, key);
        return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

static void pump_stdin(struct sbx *s, struct proc *pr)
{
        struct in_stream *st;

        if (pr->stdin_stream < 0 || !pr->owner || !(st = in_find(s, pr->owner, pr->stdin_stream)))
                return;
        while (al_buf_size(&st->data) && pr->stdin_credit) {
                size_t n = al_buf_size(&st->data);
                if (n > AL_CHAN_DATA_CHUNK)
                        n = AL_CHAN_DATA_CHUNK;
                if (n > pr->stdin_credit)
                        n = pr->stdin_credit;
                chan_send(s, AL_MSG_STDIN, pr->chan_id, al_buf_head(&st->data), n);
                al_buf_consume(&st->data, n);
                pr->stdin_credit -= (uint32_t)n;
        }
        if ((st->ended && !al_buf_size(&st->data)) || st->failed) {
                chan_send(s, AL_MSG_STDIN, pr->chan_id, NULL, 0);
                in_free(st);
                pr->stdin_stream = -1;
        }
}

static bool is_null_stdio(json_t *params, const char *key)
{
        const char *v = json_string_value(json_object_get(params, key));
        return v && strcmp(v, "null") == 0;
}

static void m_spawn(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        uint32_t chan;
        sbx_spawn(s, p, id, params, NULL, NULL, &chan);
}

int sbx_spawn(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params, json_t *req_extra, json_t *result_extra,
              uint32_t *ret_chan)
{
        struct proc *pr = NULL;
        json_t *req;
        struct rt_stats st = { 0 };
        json_t *stdin_id = json_object_get(params, "stdinStreamId");

        if (!json_is_string(json_object_get(params, "command"))) {
                reply_err(p, id, EINVAL, "spawn: command must be a string");
                return -EINVAL;
        }
        pr = free_slot(s);
        if (!pr) {
                reply_err(p, id, EAGAIN, "too many processes in this sandbox (%d)", SBX_MAX_PROCS);
                return -EAGAIN;
        }
        (void)rt_sandbox_stats(s->rt, &st);
        *pr = (struct proc){ .used = true,
                             .chan_id = next_id(s),
                             .owner = p,
                             .spawn_rpc = json_incref(id),
                             .stdin_credit = AL_CHAN_WINDOW,
                             .stdin_stream = -1,
                             .oom_before = st.oom_kills };
        if (!is_null_stdio(params, "stdout"))
                pr->out_stream = next_stream_id++;
        if (!is_null_stdio(params, "stderr"))
                pr->err_stream = next_stream_id++;
        if (json_is_integer(stdin_id))
                pr->stdin_stream = json_integer_value(stdin_id);
        req = json_pack("{s:O,s:O*,s:O*,s:b,s:O*,s:b,s:s,s:s,s:s}", "command", json_object_get(params, "command"),
                        "args", json_object_get(params, "args"), "envObj", json_object_get(params, "env"), "clearEnv",
                        json_is_true(json_object_get(params, "clearEnv")), "cwd", json_object_get(params, "cwd"),
                        "stdin", pr->stdin_stream >= 0, "user", "app", "stdout", pr->out_stream ? "piped" : "null",
                        "stderr", pr->err_stream ? "piped" : "null");
        if (!req) {
                reply_err(p, id, EINVAL, "spawn: bad parameters");
                free_proc(pr);
                return -EINVAL;
        }
        if (req_extra)
                json_object_update(req, req_extra);
        pr->result_extra = json_incref(result_extra);
        chan_send_json(s, AL_MSG_SPAWN, 0, pr->chan_id, req);
        json_decref(req);
        if (pr->stdin_stream >= 0) {
                struct in_stream *in = in_find(s, p, pr->stdin_stream);
                if (in)
                        in->proc = pr->chan_id;
                pump_stdin(s, pr);
        }
        *ret_chan = pr->chan_id;
        return 0;
}

static void m_process_wait(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        struct proc *pr = proc_by_pid(s, json_int(params, "pid", -1));
        int r;

        /* A process the airlockd before us started: ask airlock-init. */
        if (!pr && s->adopted && json_int(params, "pid", -1) > 1) {
                r = past_wait(s, p, id, json_int(params, "pid", -1));
                if (r < 0)
                        reply_err(p, id, -r, "cannot wait for pid %lld", (long long)json_int(params, "pid", -1));
                return;
        }
        if (!pr) {
                reply_err(p, id, ENOENT, "no process with pid %lld", (long long)json_int(params, "pid", -1));
                return;
        }
        if (pr->exited) {
                reply_ok(p, id, wait_result(s, pr));
                return;
        }
        if (pr->n_waiters >= SBX_MAX_WAITERS) {
                reply_err(p, id, EAGAIN, "too many waits on one process");
                return;
        }
        pr->waiters[pr->n_waiters++] = (struct waiter){ p, json_incref(id) };
}

static void m_process_kill(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        struct proc *pr = proc_by_pid(s, json_int(params, "pid", -1));
        int sig = signal_number(json_string_value(json_object_get(params, "signal")));
        uint8_t b[4];

        if (sig < 0) {
                reply_err(p, id, EINVAL, "unknown signal");
                return;
        }
        if (!pr && s->adopted && json_int(params, "pid", -1) > 1) {
                int r = past_kill(s, json_int(params, "pid", -1), sig);
                if (r < 0)
                        reply_err(p, id, -r, "cannot signal pid %lld", (long long)json_int(params, "pid", -1));
                else
                        reply_ok(p, id, NULL);
                return;
        }
        if (!pr || pr->exited) {
                reply_err(p, id, ENOENT, "no running process with pid %lld", (long long)json_int(params, "pid", -1));
                return;
        }
        al_put_u32(b, (uint32_t)sig);
        chan_send(s, AL_MSG_SIGNAL, pr->chan_id, b, 4);
        reply_ok(p, id, NULL);
}

/* Forward a call to airlock-init; its reply is relayed when it comes. */
static void forward_call(struct sbx *s, struct sbx_peer *p, json_t *id, const char *method, json_t *params)
{
        struct call *c = NULL;
        json_t *msg;

        for (int i = 0; i < SBX_MAX_CALLS && !c; i++)
                if (!s->calls[i].used)
                        c = &s->calls[i];
        if (!c) {
                reply_err(p, id, EAGAIN, "too many calls in flight (%d)", SBX_MAX_CALLS);
                return;
        }
        *c = (struct call){ .used = true,
                            .chan_id = next_id(s),
                            .peer = p,
                            .rpc_id = json_incref(id),
                            .abort_id = json_int(params, "abortId", -1),
                            .opens_handle = !strcmp(method, "open") || !strcmp(method, "create"),
                            .streams_entries = !strcmp(method, "walk") || !strcmp(method, "expandGlob") };
        msg = json_pack("{s:s,s:O}", "method", method, "params", params ? params : json_null());
        chan_send_json(s, AL_MSG_CALL, AL_MSG_CALL_PART, c->chan_id, msg);
        json_decref(msg);
}

/* writeFile/writeTextFile with contentStreamId: wait for the stream's end,
 * then send the content inline (as bytes, whatever the method). */
static void finish_stream_write(struct sbx *s, struct in_stream *st)
{
        json_t *params = st->write_params, *id = st->write_rpc;
        size_t n;

        if (st->failed) {
                reply_err(st->peer, id, EIO, "the upload stream failed");
        } else {
                char *b64 = al_b64_encode(al_buf_head(&st->data), al_buf_size(&st->data), &n);
                json_t *p2 = json_deep_copy(params);
                json_object_del(p2, "contentStreamId");
                json_object_set_new(p2, "content", json_stringn(b64 ? b64 : "", b64 ? n : 0));
                free(b64);
                forward_call(s, st->peer, id, "writeFile", p2);
                json_decref(p2);
        }
        in_free(st);
}

static struct in_stream *in_new(struct sbx *s, struct sbx_peer *p, int64_t sid)
{
        for (int i = 0; i < SBX_MAX_IN_STREAMS; i++)
                if (!s->in[i].used) {
                        s->in[i] = (struct in_stream){ .used = true, .peer = p, .id = sid };
                        al_buf_init(&s->in[i].data, AL_MAX_CALL / 2);
                        return &s->in[i];
                }
        return NULL;
}

static void m_write_streamed(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        int64_t sid = json_int(params, "contentStreamId", -1);
        struct in_stream *st = in_find(s, p, sid);

        if (!st)
                st = in_new(s, p, sid);
        if (!st) {
                reply_err(p, id, EAGAIN, "too many open streams");
                return;
        }
        st->write_rpc = json_incref(id);
        st->write_params = json_incref(params);
        if (st->ended || st->failed)
                finish_stream_write(s, st);
}

int sbx_in_claim(struct sbx *s, struct sbx_peer *p, int64_t sid, const struct sbx_in_sink *sink, void *arg)
{
        struct in_stream *st = in_find(s, p, sid);

        if (!st)
                st = in_new(s, p, sid);
        if (!st)
                return -EAGAIN;
        if (st->sink || st->write_rpc || st->proc)
                return -EBUSY;
        st->sink = sink;
        st->sink_arg = arg;
        if (al_buf_size(&st->data))
                sink->on_data(arg, al_buf_head(&st->data), al_buf_size(&st->data));
        al_buf_free(&st->data);
        if (st->ended || st->failed) {
                bool failed = st->failed;
                in_free(st);
                sink->on_end(arg, failed);
        }
        return 0;
}

void sbx_in_release(struct sbx *s, struct sbx_peer *p, int64_t sid, void *arg)
{
        struct in_stream *st = in_find(s, p, sid);

        if (st && st->sink_arg == arg)
                in_free(st); /* what still comes for it is dropped */
}

struct event_base *sbx_base(const struct sbx *s)
{
        return s->base;
}

int64_t sbx_stream_id_new(void)
{
        return next_stream_id++;
}

void sbx_stream_note(struct sbx *s, struct sbx_peer *p, const char *method, json_t *params)
{
        int64_t sid = json_int(params, "streamId", -1);
        struct in_stream *st = in_find(s, p, sid);
        struct proc *pr;

        if (strcmp(method, "$sandbox.stream.cancel") == 0) {
                /* The client no longer wants our output: stop sending on it. */
                fetch_stream_cancel(s, p, sid);
                for (int i = 0; i < SBX_MAX_PROCS; i++) {
                        pr = &s->procs[i];
                        if (pr->used && pr->owner == p && pr->out_stream == sid)
                                pr->out_stream = 0;
                        if (pr->used && pr->owner == p && pr->err_stream == sid)
                                pr->err_stream = 0;
                }
                return;
        }
        if (strcmp(method, "$sandbox.stream.start") == 0) {
                if (!st && !in_new(s, p, sid))
                        p->close(p, 1008, "too many open streams");
                return;
        }
        if (!st)
                return;
        if (strcmp(method, "$sandbox.stream.enqueue") == 0) {
                json_t *d = json_object_get(params, "data");
                uint8_t *bytes;
                size_t n;
                if (!json_is_string(d) ||
                    al_b64_decode(json_string_value(d), json_string_length(d), AL_MAX_CALL, &bytes, &n) < 0) {
                        st->failed = true;
                } else {
                        if (st->sink)
                                st->sink->on_data(st->sink_arg, bytes, n);
                        else if (al_buf_append(&st->data, bytes, n) < 0)
                                st->failed = true;
                        free(bytes);
                }
        } else if (strcmp(method, "$sandbox.stream.end") == 0) {
                st->ended = true;
        } else if (strcmp(method, "$sandbox.stream.error") == 0) {
                st->failed = true;
        }
        if (st->sink && (st->ended || st->failed)) {
                const struct sbx_in_sink *sink = st->sink;
                void *arg = st->sink_arg;
                bool failed = st->failed;
                in_free(st);
                sink->on_end(arg, failed);
        } else if (st->write_rpc && (st->ended || st->failed)) {
                finish_stream_write(s, st);
        } else if (st->proc && (pr = proc_by_chan(s, st->proc))) {
                pump_stdin(s, pr);
        }
}

void sbx_peer_drained(struct sbx *s, struct sbx_peer *p)
{
        uint8_t b[4];

        fetch_peer_drained(s, p);
        for (int i = 0; i < SBX_MAX_PROCS; i++) {
                struct proc *pr = &s->procs[i];
                if (pr->used && pr->owner == p && pr->held_ack) {
                        al_put_u32(b, pr->held_ack);
                        chan_send(s, AL_MSG_ACK, pr->chan_id, b, 4);
                        pr->held_ack = 0;
                }
        }
}

static void reply_aborted(struct sbx_peer *p, json_t *rpc_id)
{
        json_t *err = sbx_error_object("DOMException", "The signal has been aborted", NULL);
        json_object_set_new(err, "name", json_string("AbortError"));
        p->send(p, sbx_rpc_result(rpc_id, json_pack("{s:o}", "error", err)));
}

/* abort: the targeted call fails at once with an AbortError; whatever the
 * sandbox still answers for it is dropped. Always {"ok":null} itself: the SDK
 * cannot take an error here. */
static void m_abort(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        int64_t aid = json_int(params, "abortId", -1);

        for (int i = 0; aid >= 0 && i < SBX_MAX_CALLS; i++) {
                struct call *c = &s->calls[i];
                if (!c->used || c->peer != p || c->abort_id != aid)
                        continue;
                reply_aborted(p, c->rpc_id);
                c->peer = NULL;
        }
        for (int i = 0; aid >= 0 && i < SBX_MAX_IN_STREAMS; i++) {
                struct in_stream *st = &s->in[i];
                if (st->used && st->peer == p && st->write_rpc && json_int(st->write_params, "abortId", -2) == aid) {
                        reply_aborted(p, st->write_rpc);
                        in_free(st);
                }
        }
        if (aid >= 0)
                fetch_abort(s, p, aid);
        reply_ok(p, id, NULL);
}

static const char *const forwarded[] = {
        "readFile",     "readTextFile", "writeFile", "writeTextFile", "readDir",   "remove",     "mkdir",
        "rename",       "stat",         "lstat",     "chmod",         "chown",     "copyFile",   "link",
        "symlink",      "readLink",     "realPath",  "truncate",      "umask",     "utime",      "makeTempDir",
        "makeTempFile", "envGet",       "envSet",    "envToObject",   "envDelete", "open",       "create",
        "fileClose",    "fileRead",     "fileWrite", "fileSeek",      "fileStat",  "fileSync",   "fileSyncData",
        "fileTruncate", "fileUtime",    "fileLock",  "fileUnlock",    "walk",      "expandGlob",
};

void sbx_rpc(struct sbx *s, struct sbx_peer *p, json_t *id, const char *method, json_t *params)
{
        if (s->dying)
                return;
        api_metrics_rpc_begin(id, method);
        if (strcmp(method, "spawn") == 0)
                return m_spawn(s, p, id, params);
        if (strcmp(method, "processWait") == 0)
                return m_process_wait(s, p, id, params);
        if (strcmp(method, "processKill") == 0)
                return m_process_kill(s, p, id, params);
        if (strcmp(method, "abort") == 0)
                return m_abort(s, p, id, params);
        if (strcmp(method, "fetch") == 0)
                return fetch_start(s, p, id, params);
        if ((strcmp(method, "writeFile") == 0 || strcmp(method, "writeTextFile") == 0) &&
            json_is_integer(json_object_get(params, "contentStreamId")))
                return m_write_streamed(s, p, id, params);
        if (strcmp(method, "fileClose") == 0) { /* ids are reused: forget ours at once */
                int64_t hid = json_int(params, "fileHandleId", -1);
                for (int i = 0; i < AL_MAX_HANDLES; i++)
                        if (s->handles[i].peer == p && s->handles[i].id == hid)
                                s->handles[i].peer = NULL;
        }
        for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
                if (strcmp(method, forwarded[i]) == 0)
                        return forward_call(s, p, id, method, params);
        if (deno_rpc(s, p, id, method, params))
                return;
        p->send(p, sbx_rpc_result(id, json_pack("{s:o}", "error",
                                                sbx_error_object("NotSupported",
                                                                 "this method is not supported by Airlock yet",
                                                                 "ENOSYS"))));
}

/* --- processes driven by another module (the SSH gateway) ---------------- */

/* A free process slot of a sandbox that is not going away. */
static int proc_slot(struct sbx *s, struct proc **ret)
{
        if (s->dying)
                return -ESRCH;
        *ret = free_slot(s);
        return *ret ? 0 : -EAGAIN;
}

int sbx_proc_spawn(struct sbx *s, struct sbx_peer *owner, json_t *req, const struct sbx_proc_sink *sink, void *arg,
                   uint32_t *ret_id)
{
        struct proc *pr;
        int r = proc_slot(s, &pr);

        if (r < 0)
                return r;
        *pr = (struct proc){ .used = true,
                             .chan_id = next_id(s),
                             .owner = owner,
                             .sink = sink,
                             .sink_arg = arg,
                             .stdin_credit = AL_CHAN_WINDOW,
                             .stdin_stream = -1 };
        chan_send_json(s, AL_MSG_SPAWN, 0, pr->chan_id, req);
        *ret_id = pr->chan_id;
        return 0;
}

size_t sbx_proc_write(struct sbx *s, uint32_t id, const uint8_t *p, size_t n)
{
        struct proc *pr = proc_by_chan(s, id);
        size_t done = 0;

        if (!pr || !pr->sink_arg || s->dying)
                return 0;
        if (n == 0) { /* end of input */
                chan_send(s, AL_MSG_STDIN, id, NULL, 0);
                return 0;
        }
        while (done < n && pr->stdin_credit) {
                size_t k = n - done;
                if (k > AL_CHAN_DATA_CHUNK)
                        k = AL_CHAN_DATA_CHUNK;
                if (k > pr->stdin_credit)
                        k = pr->stdin_credit;
                chan_send(s, AL_MSG_STDIN, id, p + done, k);
                pr->stdin_credit -= (uint32_t)k;
                done += k;
        }
        return done;
}

void sbx_proc_ack(struct sbx *s, uint32_t id, uint32_t n)
{
        uint8_t b[4];

        if (s->dying || !proc_by_chan(s, id))
                return;
        al_put_u32(b, n);
        chan_send(s, AL_MSG_ACK, id, b, 4);
}

void sbx_proc_resize(struct sbx *s, uint32_t id, unsigned rows, unsigned cols)
{
        uint8_t b[4];

        if (s->dying || !proc_by_chan(s, id))
                return;
        al_put_u16(b, (uint16_t)rows);
        al_put_u16(b + 2, (uint16_t)cols);
        chan_send(s, AL_MSG_RESIZE, id, b, 4);
}

void sbx_proc_signal(struct sbx *s, uint32_t id, int sig)
{
        uint8_t b[4];

        if (s->dying || !proc_by_chan(s, id))
                return;
        al_put_u32(b, (uint32_t)sig);
        chan_send(s, AL_MSG_SIGNAL, id, b, 4);
}

/* The sink is going: nothing more is delivered to it; the process is hung
 * up (as a terminal's end does) and its output dropped until it exits. */
void sbx_proc_release(struct sbx *s, uint32_t id)
{
        struct proc *pr = proc_by_chan(s, id);

        if (!pr || s->dying)
                return;
        sbx_proc_signal(s, id, SIGHUP);
        sbx_proc_ack(s, id, AL_CHAN_WINDOW);
        pr->sink_arg = NULL;
        pr->owner = NULL;
}

/* --- hooks for the Deno methods (deno.c) ---------------------------------- */

/* A call to airlock-init whose reply goes to done() instead of a peer
 * (NULL if it failed). arg identifies the caller's state, which may be gone
 * by then: done() looks it up rather than trusting a pointer. */
int sbx_call(struct sbx *s, const char *method, json_t *params,
             void (*done)(struct sbx *s, uint64_t arg, json_t *reply), uint64_t arg)
{
        struct call *c = NULL;
        json_t *msg;

        if (s->dying)
                return -ESRCH;
        for (int i = 0; i < SBX_MAX_CALLS && !c; i++)
                if (!s->calls[i].used)
                        c = &s->calls[i];
        if (!c)
                return -EAGAIN;
        *c = (struct call){ .used = true, .chan_id = next_id(s), .abort_id = -1, .done = done, .done_arg = arg };
        msg = json_pack("{s:s,s:O}", "method", method, "params", params);
        chan_send_json(s, AL_MSG_CALL, AL_MSG_CALL_PART, c->chan_id, msg);
        json_decref(msg);
        return 0;
}

/* A channel airlock-init opened beside a process (its "ctl" id), driven
 * through a sink like sbx_proc_spawn's: nothing is spawned for it. */
int sbx_proc_adopt(struct sbx *s, struct sbx_peer *owner, uint32_t id, const struct sbx_proc_sink *sink, void *arg)
{
        struct proc *pr;
        int r = proc_slot(s, &pr);

        if (r < 0)
                return r;
        *pr = (struct proc){ .used = true,
                             .started = true,
                             .chan_id = id,
                             .owner = owner,
                             .sink = sink,
                             .sink_arg = arg,
                             .stdin_credit = AL_CHAN_WINDOW,
                             .stdin_stream = -1 };
        return 0;
}

uint32_t sbx_chan_id_new(struct sbx *s)
{
        return next_id(s);
}

/* 1 running, 0 exited, -ENOENT unknown (a process the client can see). */
int sbx_proc_state(struct sbx *s, int64_t pid)
{
        struct proc *pr = pid > 0 ? proc_by_pid(s, pid) : NULL;

        if (!pr || pr->sink)
                return -ENOENT;
        return pr->exited ? 0 : 1;
}
