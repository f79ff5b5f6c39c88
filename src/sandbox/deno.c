/* SPDX-License-Identifier: Apache-2.0 */
/* The Deno methods. Programs run with `deno run -A` (the sandbox is the
 * boundary, not Deno's permissions); inline code with `deno eval --ext`.
 *
 * A REPL is `deno eval` of the harness in deno_harness.js, spawned with a
 * control channel beside its stdio (airlock-init's "ctl"): requests go down
 * as JSON lines, replies come back as JSON lines carrying the request's
 * sequence number. The replies are hostile bytes: each line is capped and
 * parsed by jansson, and only an envelope with a known sequence number and
 * string fields passes to the client.
 *
 * denoHttpWait polls airlock-init's listeningPorts for the process tree,
 * sooner first and then backing off, until a TCP socket listens (true) or
 * the process exits (false). Who owns what: each REPL and wait belongs to
 * its sandbox and is freed with it; callbacks find them by serial number,
 * never by a pointer that may be stale. */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/chan.h"
#include "common/limits.h"
#include "deno.h"
#include "deno_harness.h"
#include "live.h"

#define DENO_POLL_FIRST_MS 5
#define DENO_POLL_MAX_MS 100

struct pending {
        bool used;
        uint64_t seq;
        struct sbx_peer *peer; /* NULL once the client went: the reply is dropped */
        json_t *rpc_id;
};

struct repl {
        struct repl *next;
        struct sbx *s;
        struct sbx_peer *owner; /* the control channel goes with it (sbx_detach) */
        uint32_t chan, ctl;
        int64_t pid; /* 0 until started */
        bool adopted, dead, exited;
        struct al_buf req;  /* requests beyond the stdin window */
        struct al_buf line; /* a reply line being joined */
        uint64_t next_seq;
        struct pending pend[AL_MAX_DENO_PENDING];
};

struct wait {
        struct wait *next;
        struct sbx *s;
        uint64_t serial;
        int64_t pid;
        struct sbx_peer *peer;
        json_t *rpc_id;
        struct event *timer;
        int delay_ms;
        bool in_flight;
};

/* A program under `deno run --watch`: its stderr is scanned for Deno's
 * restart line, and each one becomes $sandbox.deno.watcher.restart. */
struct watcher {
        struct watcher *next;
        struct sbx *s;
        uint32_t chan;
        int64_t pid;
        struct sbx_peer *peer;
        char id[40];
};

/* The port a process was found listening on, for exposeHttp {pid}. */
struct http_port {
        struct http_port *next;
        struct sbx *s;
        int64_t pid;
        int port;
};

static struct repl *repls;
static struct wait *waits;
static struct watcher *watchers;
static struct http_port *ports;
static uint64_t next_serial = 1;

static void send_ok(struct sbx_peer *p, json_t *id, json_t *v) /* steals v */
{
        if (p)
                p->send(p, sbx_rpc_result(id, json_pack("{s:o}", "ok", v ? v : json_null())));
        else
                json_decref(v);
}

static void send_err(struct sbx_peer *p, json_t *id, const char *cls, const char *msg, const char *code)
{
        if (p)
                p->send(p, sbx_rpc_result(id, json_pack("{s:o}", "error", sbx_error_object(cls, msg, code))));
}

/* --- REPLs ---------------------------------------------------------------- */

static struct repl *repl_by_pid(struct sbx *s, int64_t pid)
{
        for (struct repl *r = repls; r; r = r->next)
                if (r->s == s && r->pid == pid && pid > 0)
                        return r;
        return NULL;
}

static void repl_fail_all(struct repl *r, const char *why)
{
        for (int i = 0; i < AL_MAX_DENO_PENDING; i++) {
                struct pending *pe = &r->pend[i];
                if (!pe->used)
                        continue;
                send_err(pe->peer, pe->rpc_id, "Error", why, NULL);
                json_decref(pe->rpc_id);
                memset(pe, 0, sizeof(*pe));
        }
}

static void repl_free(struct repl *r)
{
        for (struct repl **pp = &repls; *pp; pp = &(*pp)->next)
                if (*pp == r) {
                        *pp = r->next;
                        break;
                }
        for (int i = 0; i < AL_MAX_DENO_PENDING; i++)
                json_decref(r->pend[i].rpc_id);
        al_buf_free(&r->req);
        al_buf_free(&r->line);
        free(r);
}

static void repl_pump(struct repl *r)
{
        while (!r->dead && r->adopted && al_buf_size(&r->req)) {
                size_t n = sbx_proc_write(r->s, r->ctl, al_buf_head(&r->req), al_buf_size(&r->req));
                if (n == 0)
                        return;
                al_buf_consume(&r->req, n);
        }
}

/* An error object from the harness, rebuilt field by field. */
static json_t *error_from_harness(json_t *e)
{
        const char *cls = json_string_value(json_object_get(e, "constructorName"));
        const char *msg = json_string_value(json_object_get(e, "message"));
        json_t *stack = json_object_get(e, "stack");
        json_t *out;

        if (!cls || strlen(cls) > 64)
                cls = "Error";
        out = sbx_error_object(cls, msg ? msg : "error in the REPL", NULL);
        if (json_is_string(stack))
                json_object_set(out, "stack", stack);
        return out;
}

static void repl_on_line(struct repl *r, const char *line, size_t n)
{
        json_error_t jerr;
        json_t *v = json_loadb(line, n, 0, &jerr), *ok, *err;
        json_int_t seq = json_integer_value(json_object_get(v, "id"));
        struct pending *pe = NULL;

        for (int i = 0; i < AL_MAX_DENO_PENDING && json_is_object(v); i++)
                if (r->pend[i].used && r->pend[i].seq == (uint64_t)seq)
                        pe = &r->pend[i];
        if (!pe) {
                json_decref(v);
                return;
        }
        ok = json_object_get(v, "ok");
        err = json_object_get(v, "error");
        if (json_is_object(err) && pe->peer)
                pe->peer->send(pe->peer,
                               sbx_rpc_result(pe->rpc_id, json_pack("{s:o}", "error", error_from_harness(err))));
        else if (!json_is_object(err))
                send_ok(pe->peer, pe->rpc_id, json_incref(ok));
        json_decref(pe->rpc_id);
        memset(pe, 0, sizeof(*pe));
        json_decref(v);
}

static void ctl_on_output(void *arg, bool is_stderr, const uint8_t *p, size_t n)
{
        struct repl *r = arg;
        const uint8_t *nl;

        sbx_proc_ack(r->s, r->ctl, (uint32_t)n);
        if (is_stderr)
                return;
        while (n && (nl = memchr(p, '\n', n))) {
                size_t k = (size_t)(nl - p);
                if (al_buf_append(&r->line, p, k) == 0)
                        repl_on_line(r, (const char *)al_buf_head(&r->line), al_buf_size(&r->line));
                al_buf_free(&r->line); /* an over-long line is dropped whole */
                al_buf_init(&r->line, AL_MAX_DENO_REPLY);
                p += k + 1;
                n -= k + 1;
        }
        if (n && al_buf_append(&r->line, p, n) < 0) {
                al_buf_free(&r->line);
                al_buf_init(&r->line, AL_MAX_DENO_REPLY);
        }
}

static void ctl_on_credit(void *arg)
{
        repl_pump(arg);
}

static void ctl_gone(struct repl *r)
{
        r->dead = true;
        repl_fail_all(r, "the REPL process exited");
        if (r->exited)
                repl_free(r);
}

static void ctl_on_exit(void *arg, int code, int signo)
{
        ctl_gone(arg);
}

static void ctl_on_failed(void *arg, int err, const char *msg)
{
        ctl_gone(arg);
}

static const struct sbx_proc_sink ctl_sink = {
        .on_output = ctl_on_output,
        .on_stdin_credit = ctl_on_credit,
        .on_exit = ctl_on_exit,
        .on_failed = ctl_on_failed,
};

/* The SDK's spawn parameters with the command replaced. */
static json_t *spawn_params(json_t *params, json_t *args)
{
        json_t *p = json_pack("{s:s,s:o}", "command", "deno", "args", args);
        const char *keys[] = { "env", "clearEnv", "cwd", "stdinStreamId", "stdout", "stderr" };
        json_t *env;

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (json_object_get(params, keys[i]))
                        json_object_set(p, keys[i], json_object_get(params, keys[i]));
        env = json_is_object(json_object_get(p, "env")) ? json_deep_copy(json_object_get(p, "env")) : json_object();
        if (!json_object_get(env, "DENO_NO_UPDATE_CHECK"))
                json_object_set_new(env, "DENO_NO_UPDATE_CHECK", json_string("1"));
        json_object_set_new(p, "env", env);
        return p;
}

static bool append_script_args(json_t *args, json_t *params)
{
        json_t *sa = json_object_get(params, "scriptArgs"), *v;
        size_t i;

        if (sa && !json_is_null(sa) && !json_is_array(sa))
                return false;
        json_array_foreach (sa, i, v) {
                if (!json_is_string(v))
                        return false;
                json_array_append(args, v);
        }
        return true;
}

static unsigned repl_count(struct sbx *s)
{
        unsigned n = 0;
        for (struct repl *r = repls; r; r = r->next)
                n += r->s == s;
        return n;
}

static void m_spawn_repl(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        json_t *args = json_pack("[s,s,s]", "eval", "--ext=js", deno_harness_js), *sp, *extra;
        struct repl *r;
        uint32_t chan;

        if (!append_script_args(args, params)) {
                json_decref(args);
                return send_err(p, id, "TypeError", "scriptArgs must be an array of strings", "EINVAL");
        }
        if (repl_count(s) >= AL_MAX_DENO_REPLS) {
                json_decref(args);
                return send_err(p, id, "Error", "too many REPLs in this sandbox", "EAGAIN");
        }
        r = calloc(1, sizeof(*r));
        if (!r) {
                json_decref(args);
                return send_err(p, id, "Error", "out of memory", "ENOMEM");
        }
        r->s = s;
        r->owner = p;
        r->ctl = sbx_chan_id_new(s);
        al_buf_init(&r->req, AL_MAX_DENO_REQUEST);
        al_buf_init(&r->line, AL_MAX_DENO_REPLY);
        sp = spawn_params(params, args);
        extra = json_pack("{s:I}", "ctl", (json_int_t)r->ctl);
        if (sbx_spawn(s, p, id, sp, extra, NULL, &chan) < 0) {
                json_decref(sp);
                json_decref(extra);
                al_buf_free(&r->req);
                al_buf_free(&r->line);
                free(r);
                return;
        }
        json_decref(sp);
        json_decref(extra);
        r->chan = chan;
        /* Before any frame for it can arrive: the spawn is only queued. */
        r->adopted = sbx_proc_adopt(s, p, r->ctl, &ctl_sink, r) == 0;
        r->dead = !r->adopted;
        r->next = repls;
        repls = r;
}

static void repl_request(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params, json_t *req)
{
        struct repl *r = repl_by_pid(s, json_integer_value(json_object_get(params, "pid")));
        struct pending *pe = NULL;
        char *text;

        if (!r || r->exited) {
                json_decref(req);
                return send_err(p, id, "NotFound", "no REPL with this pid", "ENOENT");
        }
        if (r->dead) {
                json_decref(req);
                return send_err(p, id, "Error", "the REPL process exited", NULL);
        }
        for (int i = 0; i < AL_MAX_DENO_PENDING && !pe; i++)
                if (!r->pend[i].used)
                        pe = &r->pend[i];
        if (!pe) {
                json_decref(req);
                return send_err(p, id, "Error", "too many evaluations pending on this REPL", "EAGAIN");
        }
        json_object_set_new(req, "id", json_integer((json_int_t)++r->next_seq));
        text = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        if (!text || al_buf_append(&r->req, text, strlen(text)) < 0 || al_buf_append(&r->req, "\n", 1) < 0) {
                free(text);
                return send_err(p, id, "Error", "request too large for the REPL", "E2BIG");
        }
        free(text);
        *pe = (struct pending){ .used = true, .seq = r->next_seq, .peer = p, .rpc_id = json_incref(id) };
        repl_pump(r);
}

static void m_repl_eval(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        json_t *code = json_object_get(params, "code");

        if (!json_is_string(code))
                return send_err(p, id, "TypeError", "denoReplEval: code must be a string", "EINVAL");
        repl_request(s, p, id, params, json_pack("{s:s,s:O}", "op", "eval", "code", code));
}

static void m_repl_call(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        json_t *fn = json_object_get(params, "fn"), *args = json_object_get(params, "args");

        if (!json_is_string(fn) || (args && !json_is_array(args)))
                return send_err(p, id, "TypeError", "denoReplCall: fn must be a string, args an array", "EINVAL");
        repl_request(s, p, id, params,
                     json_pack("{s:s,s:O,s:O}", "op", "call", "fn", fn, "args", args ? args : json_array()));
}

/* The harness exits when its requests end; its streams end and the waits
 * resolve as for any exit. */
static void m_repl_close(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        struct repl *r = repl_by_pid(s, json_integer_value(json_object_get(params, "pid")));

        if (!r || r->exited)
                return send_err(p, id, "NotFound", "no REPL with this pid", "ENOENT");
        if (!r->dead)
                sbx_proc_write(s, r->ctl, NULL, 0);
        send_ok(p, id, NULL);
}

/* --- spawnDeno -------------------------------------------------------------- */

static bool known_ext(const char *e)
{
        static const char *const exts[] = { "js", "cjs", "mjs", "ts", "cts", "mts", "jsx", "tsx" };
        for (size_t i = 0; e && i < sizeof(exts) / sizeof(exts[0]); i++)
                if (strcmp(e, exts[i]) == 0)
                        return true;
        return false;
}

#define WATCH_MARK "Restarting! File change detected" /* Deno 2 watcher, on stderr */

/* --watch, or --watch=a,b for extra paths; NULL if they are not strings. */
static char *watch_flag(json_t *watch)
{
        size_t i, len = strlen("--watch=") + 1;
        json_t *v;
        char *f;

        if (!json_is_array(watch) || json_array_size(watch) == 0)
                return strdup("--watch");
        json_array_foreach (watch, i, v) {
                if (!json_is_string(v) || strchr(json_string_value(v), ',') || json_string_length(v) > AL_MAX_PATH)
                        return NULL;
                len += json_string_length(v) + 1;
        }
        if (json_array_size(watch) > AL_MAX_ARGS || !(f = malloc(len)))
                return NULL;
        strcpy(f, "--watch=");
        json_array_foreach (watch, i, v) {
                strcat(f, json_string_value(v));
                if (i + 1 < json_array_size(watch))
                        strcat(f, ",");
        }
        return f;
}

static json_t *run_args(json_t *entry, json_t *watch, struct sbx *s, struct sbx_peer *p, struct watcher **ret_w)
{
        struct watcher *w;
        char *flag;
        json_t *args;

        *ret_w = NULL;
        if (!watch || json_is_false(watch) || json_is_null(watch))
                return json_pack("[s,s,O]", "run", "-A", entry);
        if (!(flag = watch_flag(watch)) || !(w = calloc(1, sizeof(*w)))) {
                free(flag);
                return NULL;
        }
        args = json_pack("[s,s,s,s,O]", "run", "-A", flag, "--no-clear-screen", entry);
        free(flag);
        *w = (struct watcher){ .s = s, .peer = p };
        snprintf(w->id, sizeof(w->id), "watcher-%llu", (unsigned long long)next_serial++);
        *ret_w = w;
        return args;
}

static void m_spawn_deno(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        json_t *entry = json_object_get(params, "entrypoint"), *code = json_object_get(params, "code");
        json_t *ext = json_object_get(params, "extension"), *args, *sp, *extra;
        struct watcher *w = NULL;
        char flag[32];
        uint32_t chan;

        if (json_is_string(entry)) {
                args = run_args(entry, json_object_get(params, "watch"), s, p, &w);
                if (!args)
                        return send_err(p, id, "TypeError", "spawnDeno: watch must be a boolean or paths", "EINVAL");
        } else if (json_is_string(code)) {
                const char *e = json_is_string(ext) ? json_string_value(ext) : "ts";
                if (!known_ext(e))
                        return send_err(p, id, "TypeError", "spawnDeno: unknown extension", "EINVAL");
                snprintf(flag, sizeof(flag), "--ext=%s", e);
                args = json_pack("[s,s,O]", "eval", flag, code);
        } else {
                return send_err(p, id, "TypeError", "spawnDeno needs an entrypoint or code", "EINVAL");
        }
        if (!append_script_args(args, params)) {
                json_decref(args);
                free(w);
                return send_err(p, id, "TypeError", "scriptArgs must be an array of strings", "EINVAL");
        }
        sp = spawn_params(params, args);
        extra = w ? json_pack("{s:s}", "watcherId", w->id) : json_pack("{s:n}", "watcherId");
        if (sbx_spawn(s, p, id, sp, NULL, extra, &chan) < 0 || !w) {
                free(w);
        } else {
                w->chan = chan;
                w->next = watchers;
                watchers = w;
        }
        json_decref(sp);
        json_decref(extra);
}

void deno_proc_output(struct sbx *s, uint32_t chan, bool is_stderr, const uint8_t *p, size_t n)
{
        struct watcher *w = watchers;

        while (w && !(w->s == s && w->chan == chan))
                w = w->next;
        if (!w || !is_stderr || !w->peer || !memmem(p, n, WATCH_MARK, strlen(WATCH_MARK)))
                return;
        w->peer->send(w->peer, json_pack("{s:s,s:s,s:{s:s}}", "jsonrpc", "2.0", "method",
                                         "$sandbox.deno.watcher.restart", "params", "watcherId", w->id));
}

static void watchers_drop(struct sbx *s, int64_t pid, struct sbx_peer *p)
{
        for (struct watcher **pp = &watchers, *w; (w = *pp);) {
                if (w->s == s && p && w->peer == p)
                        w->peer = NULL;
                if (w->s == s && (pid < 0 || (pid > 0 && w->pid == pid))) {
                        *pp = w->next;
                        free(w);
                } else {
                        pp = &w->next;
                }
        }
}

/* --- denoHttpWait --------------------------------------------------------- */

static void wait_free(struct wait *w)
{
        for (struct wait **pp = &waits; *pp; pp = &(*pp)->next)
                if (*pp == w) {
                        *pp = w->next;
                        break;
                }
        if (w->timer)
                event_free(w->timer);
        json_decref(w->rpc_id);
        free(w);
}

static void wait_resolve(struct wait *w, bool listening)
{
        send_ok(w->peer, w->rpc_id, json_boolean(listening));
        wait_free(w);
}

static void on_ports(struct sbx *s, uint64_t serial, json_t *reply)
{
        struct wait *w = waits;
        struct timeval tv;

        while (w && w->serial != serial)
                w = w->next;
        if (!w)
                return;
        w->in_flight = false;
        if (json_array_size(reply) > 0) {
                struct http_port *hp = calloc(1, sizeof(*hp));
                int port = (int)json_integer_value(json_array_get(reply, 0));
                if (hp && port > 0 && port < 65536 && deno_http_port(s, w->pid) < 0) {
                        *hp = (struct http_port){ .next = ports, .s = s, .pid = w->pid, .port = port };
                        ports = hp;
                } else {
                        free(hp);
                }
                return wait_resolve(w, true);
        }
        tv.tv_sec = 0;
        tv.tv_usec = w->delay_ms * 1000;
        w->delay_ms = w->delay_ms * 2 > DENO_POLL_MAX_MS ? DENO_POLL_MAX_MS : w->delay_ms * 2;
        evtimer_add(w->timer, &tv);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
        struct wait *w = arg;
        json_t *params = json_pack("{s:I}", "pid", (json_int_t)w->pid);

        w->in_flight = sbx_call(w->s, "listeningPorts", params, on_ports, w->serial) == 0;
        json_decref(params);
        if (!w->in_flight) { /* the call table is full: try again later */
                struct timeval tv = { 0, DENO_POLL_MAX_MS * 1000 };
                evtimer_add(w->timer, &tv);
        }
}

static void m_http_wait(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params)
{
        int64_t pid = json_integer_value(json_object_get(params, "pid"));
        int state = sbx_proc_state(s, pid);
        unsigned n = 0;
        struct wait *w;
        struct timeval now = { 0, 0 };

        if (state < 0)
                return send_err(p, id, "NotFound", "no process with this pid", "ENOENT");
        if (state == 0)
                return send_ok(p, id, json_false());
        for (w = waits; w; w = w->next)
                n += w->s == s;
        if (n >= AL_MAX_DENO_WAITS)
                return send_err(p, id, "Error", "too many denoHttpWait calls pending", "EAGAIN");
        w = calloc(1, sizeof(*w));
        if (!w)
                return send_err(p, id, "Error", "out of memory", "ENOMEM");
        *w = (struct wait){ .s = s,
                            .serial = next_serial++,
                            .pid = pid,
                            .peer = p,
                            .rpc_id = json_incref(id),
                            .delay_ms = DENO_POLL_FIRST_MS };
        w->timer = evtimer_new(sbx_base(s), on_poll, w);
        w->next = waits;
        waits = w;
        if (!w->timer)
                return wait_resolve(w, false);
        evtimer_add(w->timer, &now);
}

int deno_http_port(struct sbx *s, int64_t pid)
{
        for (struct http_port *hp = ports; hp; hp = hp->next)
                if (hp->s == s && hp->pid == pid)
                        return hp->port;
        return -ENOENT;
}

/* pid > 0: that process's; pid < 0: the whole sandbox's. */
static void ports_drop(struct sbx *s, int64_t pid)
{
        for (struct http_port **pp = &ports, *hp; (hp = *pp);) {
                if (hp->s == s && (pid < 0 || hp->pid == pid)) {
                        *pp = hp->next;
                        free(hp);
                } else {
                        pp = &hp->next;
                }
        }
}

/* --- hooks from live.c ----------------------------------------------------- */

bool deno_rpc(struct sbx *s, struct sbx_peer *p, json_t *id, const char *method, json_t *params)
{
        static const struct {
                const char *name;
                void (*fn)(struct sbx *, struct sbx_peer *, json_t *, json_t *);
        } methods[] = {
                { "spawnDeno", m_spawn_deno },   { "denoHttpWait", m_http_wait }, { "spawnDenoRepl", m_spawn_repl },
                { "denoReplEval", m_repl_eval }, { "denoReplCall", m_repl_call }, { "denoReplClose", m_repl_close },
        };

        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
                if (strcmp(method, methods[i].name) == 0) {
                        methods[i].fn(s, p, id, params);
                        return true;
                }
        return false;
}

void deno_proc_started(struct sbx *s, uint32_t chan, int64_t pid)
{
        for (struct watcher *w = watchers; w; w = w->next)
                if (w->s == s && w->chan == chan)
                        w->pid = pid;
        for (struct repl *r = repls; r; r = r->next)
                if (r->s == s && r->chan == chan)
                        r->pid = pid;
}

void deno_proc_exited(struct sbx *s, int64_t pid)
{
        struct wait *w = waits, *next;
        struct repl *r = repl_by_pid(s, pid);

        for (; w; w = next) {
                next = w->next;
                if (w->s == s && w->pid == pid)
                        wait_resolve(w, false);
        }
        watchers_drop(s, pid, NULL);
        ports_drop(s, pid);
        if (r) {
                r->exited = true;
                if (r->dead)
                        repl_free(r);
        }
}

void deno_peer_gone(struct sbx *s, struct sbx_peer *p)
{
        struct wait *w = waits, *next;

        watchers_drop(s, 0, p);
        for (; w; w = next) {
                next = w->next;
                if (w->s == s && w->peer == p)
                        wait_free(w);
        }
        for (struct repl *r = repls, *rn; r; r = rn) {
                rn = r->next;
                for (int i = 0; r->s == s && i < AL_MAX_DENO_PENDING; i++)
                        if (r->pend[i].peer == p)
                                r->pend[i].peer = NULL;
                if (r->s == s && r->owner == p) { /* live.c forgot our sink: no exit will come */
                        r->owner = NULL;
                        r->adopted = false;
                        ctl_gone(r); /* freed now if the process exited, else at its exit */
                }
        }
}

void deno_sbx_gone(struct sbx *s)
{
        struct wait *w = waits, *wn;
        struct repl *r = repls, *rn;

        watchers_drop(s, -1, NULL);
        ports_drop(s, -1);
        for (; w; w = wn) {
                wn = w->next;
                if (w->s == s)
                        wait_free(w);
        }
        for (; r; r = rn) {
                rn = r->next;
                if (r->s == s)
                        repl_free(r);
        }
}
