/* SPDX-License-Identifier: Apache-2.0 */
/* Processes of before: a sandbox adopted after a restart still runs what it
 * ran, but this airlockd knows those processes by pid only (the client got
 * the pid from the airlockd that died). processWait polls airlock-init's
 * procStatus until the process ends, from 20 ms backing off to 1 s;
 * processKill is procSignal. */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "past.h"

#define PAST_MAX_WAITS 256 /* waits on processes of before, all sandboxes */
#define PAST_FIRST_MS 20
#define PAST_MAX_DELAY_MS 1000

struct past_wait {
        struct sbx *s;
        struct sbx_peer *peer; /* NULL once it went away */
        json_t *rpc_id;
        int64_t pid;
        unsigned delay_ms;
        bool asking; /* a procStatus is on its way: its reply frees us if orphaned */
        struct event *timer;
};

static struct past_wait *waits[PAST_MAX_WAITS];

static void wait_free(struct past_wait *w)
{
        for (int i = 0; i < PAST_MAX_WAITS; i++)
                if (waits[i] == w)
                        waits[i] = NULL;
        if (w->timer)
                event_free(w->timer);
        json_decref(w->rpc_id);
        free(w);
}

static void ask(struct past_wait *w);

static void on_status(struct sbx *s, uint64_t arg, json_t *reply)
{
        struct past_wait *w = (struct past_wait *)(uintptr_t)arg;
        json_t *running = json_object_get(reply, "running");

        w->asking = false;
        if (!w->peer) {
                wait_free(w);
                return;
        }
        if (!json_is_boolean(running)) { /* airlock-init knows no such process */
                sbx_reply_err(w->peer, w->rpc_id, ENOENT, "no process with pid %lld", (long long)w->pid);
                wait_free(w);
                return;
        }
        if (json_is_true(running)) {
                struct timeval tv = { w->delay_ms / 1000, (w->delay_ms % 1000) * 1000 };
                evtimer_add(w->timer, &tv);
                w->delay_ms = w->delay_ms * 2 > PAST_MAX_DELAY_MS ? PAST_MAX_DELAY_MS : w->delay_ms * 2;
                return;
        }
        json_int_t code = json_integer_value(json_object_get(reply, "code"));
        json_int_t sig = json_integer_value(json_object_get(reply, "signal"));
        char name[32] = "";
        if (sig > 0 && sig < NSIG && sigabbrev_np((int)sig))
                snprintf(name, sizeof(name), "SIG%s", sigabbrev_np((int)sig));
        /* The OOM counter's value at its start died with the old airlockd:
         * no claim either way. */
        sbx_reply_ok(w->peer, w->rpc_id,
                     json_pack("{s:b,s:I,s:s?,s:n}", "success", code == 0 && sig == 0, "code", code, "signal",
                               name[0] ? name : NULL, "oom"));
        wait_free(w);
}

static void ask(struct past_wait *w)
{
        json_t *params = json_pack("{s:I}", "pid", (json_int_t)w->pid);
        int r = sbx_call(w->s, "procStatus", params, on_status, (uint64_t)(uintptr_t)w);

        json_decref(params);
        if (r < 0) {
                sbx_reply_err(w->peer, w->rpc_id, -r, "cannot ask the sandbox about pid %lld", (long long)w->pid);
                wait_free(w);
                return;
        }
        w->asking = true;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
        ask(arg);
}

int past_wait(struct sbx *s, struct sbx_peer *p, json_t *rpc_id, int64_t pid)
{
        struct past_wait *w;
        int slot = -1;

        for (int i = 0; i < PAST_MAX_WAITS && slot < 0; i++)
                if (!waits[i])
                        slot = i;
        if (slot < 0)
                return -EAGAIN;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (struct past_wait){
                .s = s, .peer = p, .rpc_id = json_incref(rpc_id), .pid = pid, .delay_ms = PAST_FIRST_MS
        };
        w->timer = evtimer_new(sbx_base(s), on_timer, w);
        if (!w->timer) {
                wait_free(w);
                return -ENOMEM;
        }
        waits[slot] = w;
        ask(w);
        return 0;
}

static void on_signal_reply(struct sbx *s, uint64_t arg, json_t *reply)
{
        (void)s;
        (void)arg;
        (void)reply; /* answered already: a signal to a process that just ended is no error */
}

int past_kill(struct sbx *s, int64_t pid, int sig)
{
        json_t *params = json_pack("{s:I,s:i}", "pid", (json_int_t)pid, "signal", sig);
        int r = sbx_call(s, "procSignal", params, on_signal_reply, 0);

        json_decref(params);
        return r;
}

void past_peer_gone(struct sbx *s, struct sbx_peer *p)
{
        for (int i = 0; i < PAST_MAX_WAITS; i++) {
                struct past_wait *w = waits[i];
                if (!w || w->s != s || w->peer != p)
                        continue;
                w->peer = NULL;
                if (!w->asking)
                        wait_free(w);
        }
}

/* The sandbox's calls go with it, replies unheard: free every wait now. */
void past_sbx_gone(struct sbx *s)
{
        for (int i = 0; i < PAST_MAX_WAITS; i++)
                if (waits[i] && waits[i]->s == s)
                        wait_free(waits[i]);
}
