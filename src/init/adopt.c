/* SPDX-License-Identifier: Apache-2.0 */
/* Living on without airlockd. When the channel ends, a sandbox started with
 * the rendezvous (fds 4 and 5, common/chan.h) keeps its processes running:
 * they are detached (their output read and dropped, so that nothing blocks
 * on a full pipe) and their exit statuses kept. A restarted airlockd sends a
 * new channel over the rendezvous; airlock-init starts over on it with HELLO,
 * and answers procStatus/procSignal about the processes of before, which
 * airlockd knows by pid only. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "init.h"

void init_adopt_setup(struct init_state *st)
{
        int fds[] = { AL_INIT_FD_RDV, AL_INIT_FD_RDV_PEER, AL_INIT_FD_SLOT };

        st->can_outlive = fcntl(AL_INIT_FD_RDV, F_GETFD) >= 0;
        if (!st->can_outlive)
                return;
        /* Never inherited by what the sandbox runs. */
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
                fcntl(fds[i], F_SETFD, FD_CLOEXEC);
        fcntl(AL_INIT_FD_RDV, F_SETFL, O_NONBLOCK);
}

/* The processes of the channel that ended: nobody reads them any more.
 * They run on, their stdin left open (no EOF a shell would end on). */
static void detach_all(struct init_state *st)
{
        for (int i = 0; i < AL_MAX_PROCS; i++) {
                struct init_proc *p = &st->procs[i];
                if (!p->used || p->detached)
                        continue;
                al_buf_free(&p->in_q);
                p->in_eof = false;
                p->detached = true;
                p->id = 0; /* airlockd's ids start at 1: nothing finds it by id */
        }
        for (int i = 0; i < AL_MAX_HANDLES; i++)
                if (st->handles[i] >= 0) {
                        close(st->handles[i]);
                        st->handles[i] = -1;
                }
        al_buf_free(&st->in);
        al_buf_free(&st->out);
        al_buf_free(&st->call);
}

void init_chan_lost(struct init_state *st)
{
        if (st->chan >= 0)
                close(st->chan);
        st->chan = -1;
        st->chan_dead = true;
        detach_all(st);
}

void init_chan_arrived(struct init_state *st)
{
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        char byte;
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c;
        uint8_t hello[4];
        int fd = -1;

        if (recvmsg(AL_INIT_FD_RDV, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT) <= 0)
                return;
        for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < n; i++) {
                        int got;
                        memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                        if (fd < 0)
                                fd = got;
                        else
                                close(got);
                }
        }
        if (fd < 0)
                return;
        /* A new airlockd takes over, even from a live old channel. */
        init_chan_lost(st);
        st->chan = fd;
        st->chan_dead = false;
        fcntl(fd, F_SETFL, O_NONBLOCK);
        al_put_u32(hello, AL_CHAN_VERSION);
        init_send(st, AL_MSG_HELLO, 0, hello, sizeof(hello));
}

/* A detached process ended: keep its status for procStatus. */
void init_proc_exited(struct init_state *st, struct init_proc *p)
{
        unsigned n = st->n_exited;

        if (n == INIT_MAX_EXITED) { /* the oldest goes */
                memmove(&st->exited[0], &st->exited[1], sizeof(st->exited[0]) * (INIT_MAX_EXITED - 1));
                n--;
        }
        st->exited[n].pid = p->pid;
        st->exited[n].status = p->status;
        st->n_exited = n + 1;
}

static struct init_proc *running(struct init_state *st, json_int_t pid)
{
        for (int i = 0; i < AL_MAX_PROCS; i++) {
                struct init_proc *p = &st->procs[i];
                if (p->used && p->pid == pid && !p->reaped)
                        return p;
        }
        return NULL;
}

static json_t *no_process(json_int_t pid)
{
        char msg[96];

        snprintf(msg, sizeof(msg), "no process with pid %lld", (long long)pid);
        return json_pack("{s:{s:s,s:s,s:s,s:n}}", "error", "constructorName", "NotFound", "message", msg, "code",
                         "ESRCH", "stack");
}

/* procStatus {pid} -> {"ok": {"running": true}} or
 * {"ok": {"running": false, "code": N, "signal": N|0}} */
json_t *init_proc_status(struct init_state *st, json_t *params)
{
        json_int_t pid = json_integer_value(json_object_get(params, "pid"));

        if (pid <= 1)
                return no_process(pid);
        if (running(st, pid))
                return json_pack("{s:{s:b}}", "ok", "running", 1);
        for (unsigned i = st->n_exited; i-- > 0;) {
                int status = st->exited[i].status;
                if (st->exited[i].pid != pid)
                        continue;
                if (WIFSIGNALED(status))
                        return json_pack("{s:{s:b,s:i,s:i}}", "ok", "running", 0, "code", 128 + WTERMSIG(status),
                                         "signal", WTERMSIG(status));
                return json_pack("{s:{s:b,s:i,s:i}}", "ok", "running", 0, "code", WEXITSTATUS(status), "signal", 0);
        }
        return no_process(pid);
}

/* procSignal {pid, signal} -> {"ok": null}: to the process's group. */
json_t *init_proc_signal(struct init_state *st, json_t *params)
{
        json_int_t pid = json_integer_value(json_object_get(params, "pid"));
        json_int_t sig = json_integer_value(json_object_get(params, "signal"));

        if (sig <= 0 || sig >= NSIG)
                return json_pack("{s:{s:s,s:s,s:s,s:n}}", "error", "constructorName", "TypeError", "message",
                                 "bad signal number", "code", "EINVAL", "stack");
        if (pid <= 1 || !running(st, pid))
                return no_process(pid);
        kill(-(pid_t)pid, (int)sig);
        return json_pack("{s:n}", "ok");
}
