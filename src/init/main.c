/* SPDX-License-Identifier: Apache-2.0 */
/* airlock-init main loop. It reaps every zombie (it is PID 1), forwards
 * signals, moves bytes between the channel and the children under flow
 * control, and when the main command ends it kills everything left, drains
 * the output and exits, which ends the sandbox. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "init.h"

/* After a process exits, its pipes may be held open by a descendant that
 * escaped its process group; report the exit anyway once they have been quiet
 * this long while we were free to read (never while airlockd owes us credit:
 * that output is still the process's and must not be lost). */
#define INIT_DRAIN_GRACE_MS 200
#define POLL_MAX (3 + 3 * AL_MAX_PROCS)

int64_t init_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void init_send(struct init_state *st, uint16_t type, uint32_t id, const void *p, size_t n)
{
        /* Control frames may exceed the queue cap rather than be lost (a
         * reply's parts, up to AL_MAX_CALL, are queued at once: each must fit
         * past what is already over the cap); output is throttled before it
         * gets here. */
        if (al_buf_append_frame(&st->out, type, id, p, n) < 0) {
                size_t max = st->out.max;
                st->out.max = al_buf_size(&st->out) + AL_CHAN_HDR + n;
                (void)al_buf_append_frame(&st->out, type, id, p, n);
                st->out.max = max;
        }
}

void init_send_error(struct init_state *st, uint32_t id, int code, const char *fmt, ...)
{
        uint8_t msg[4 + AL_MAX_ERRMSG];
        va_list ap;
        int n;

        al_put_u32(msg, (uint32_t)code);
        va_start(ap, fmt);
        n = vsnprintf((char *)msg + 4, AL_MAX_ERRMSG, fmt, ap);
        va_end(ap);
        if (n < 0)
                n = 0;
        if (n >= AL_MAX_ERRMSG)
                n = AL_MAX_ERRMSG - 1;
        init_send(st, AL_MSG_ERROR, id, msg, 4 + (size_t)n);
}

static void send_exit(struct init_state *st, struct init_proc *p)
{
        uint8_t ex[8];

        if (WIFSIGNALED(p->status)) {
                al_put_u32(ex, AL_EXIT_SIGNAL);
                al_put_u32(ex + 4, (uint32_t)WTERMSIG(p->status));
        } else {
                al_put_u32(ex, AL_EXIT_CODE);
                al_put_u32(ex + 4, (uint32_t)WEXITSTATUS(p->status));
        }
        init_send(st, AL_MSG_EXIT, p->id, ex, sizeof(ex));
}

static void kill_everything(void)
{
        /* From PID 1, -1 reaches every other process in the namespace. */
        kill(-1, SIGKILL);
}

/* --- frames from airlockd ------------------------------------------------ */

static void on_stdin(struct init_state *st, struct init_proc *p, const struct al_frame *f)
{
        if (f->len == 0) {
                p->in_eof = true;
        } else if (p->in_fd < 0 || p->in_eof) {
                return; /* the process closed its stdin: drop, as a pipe would */
        } else if (al_buf_append(&p->in_q, f->payload, f->len) < 0) {
                init_send_error(st, p->id, ENOBUFS, "stdin sent beyond the window");
                p->in_eof = true;
        }
}

static void on_signal(struct init_state *st, struct init_proc *p, const struct al_frame *f)
{
        uint32_t sig = f->len == 4 ? al_get_u32(f->payload) : 0;

        if (sig == 0 || sig >= NSIG) {
                init_send_error(st, p->id, EINVAL, "bad signal number");
                return;
        }
        if (!p->reaped)
                kill(-p->pid, (int)sig);
}

static void on_resize(struct init_proc *p, const struct al_frame *f)
{
        struct winsize ws = { 0 };

        if (f->len != 4 || !p->tty || p->out_fd < 0)
                return;
        ws.ws_row = al_get_u16(f->payload);
        ws.ws_col = al_get_u16(f->payload + 2);
        ioctl(p->out_fd, TIOCSWINSZ, &ws);
}

static char home[AL_MAX_PATH] = "/";

const char *init_home(void)
{
        return home;
}

/* Send a reply, split into frames of at most AL_CHAN_MAX_PAYLOAD. */
static void send_reply(struct init_state *st, uint32_t id, json_t *reply)
{
        char *s = json_dumps(reply, JSON_COMPACT | JSON_ENCODE_ANY);
        size_t len = s ? strlen(s) : 0, off = 0;

        if (!s || len > AL_MAX_CALL) {
                free(s);
                s = strdup("{\"error\":{\"constructorName\":\"Error\",\"message\":\"reply too large\","
                           "\"code\":\"E2BIG\",\"stack\":null}}");
                len = s ? strlen(s) : 0;
        }
        while (len - off > AL_CHAN_MAX_PAYLOAD) {
                init_send(st, AL_MSG_REPLY_PART, id, s + off, AL_CHAN_MAX_PAYLOAD);
                off += AL_CHAN_MAX_PAYLOAD;
        }
        init_send(st, AL_MSG_REPLY, id, s ? s + off : "", len - off);
        free(s);
}

static void on_call(struct init_state *st, const struct al_frame *f)
{
        json_error_t jerr;
        json_t *req, *reply;

        if (al_buf_size(&st->call) && st->call_id != f->id) {
                al_buf_free(&st->call); /* parts of another call: a broken peer */
        }
        st->call_id = f->id;
        if (al_buf_append(&st->call, f->payload, f->len) < 0) {
                al_buf_free(&st->call);
                init_send_error(st, f->id, E2BIG, "call larger than %u bytes", AL_MAX_CALL);
                return;
        }
        if (f->type == AL_MSG_CALL_PART)
                return;
        req = json_loadb((const char *)al_buf_head(&st->call), al_buf_size(&st->call),
                         JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        al_buf_free(&st->call);
        const char *method = json_string_value(json_object_get(req, "method"));
        if (!method) {
                json_decref(req);
                init_send_error(st, f->id, EINVAL, "bad call: %s", req ? "no method" : jerr.text);
                return;
        }
        if (strcmp(method, "listeningPorts") == 0)
                reply = init_listening_ports(st, json_object_get(req, "params"));
        else if (strcmp(method, "procStatus") == 0)
                reply = init_proc_status(st, json_object_get(req, "params"));
        else if (strcmp(method, "procSignal") == 0)
                reply = init_proc_signal(st, json_object_get(req, "params"));
        else
                reply = init_fs_call(st, method, json_object_get(req, "params"));
        send_reply(st, f->id, reply);
        json_decref(reply);
        json_decref(req);
}

static void on_frame(struct init_state *st, const struct al_frame *f)
{
        struct init_proc *p;

        if (f->type == AL_MSG_CALL || f->type == AL_MSG_CALL_PART) {
                on_call(st, f);
                return;
        }
        if (f->type == AL_MSG_SPAWN) {
                init_proc_spawn(st, f->id, f->payload, f->len);
                return;
        }
        if (f->type == AL_MSG_SHUTDOWN) {
                st->shutting_down = true;
                kill_everything();
                return;
        }
        p = init_proc_find(st, f->id);
        if (!p) {
                init_send_error(st, f->id, ESRCH, "no process %u", f->id);
                return;
        }
        switch (f->type) {
        case AL_MSG_STDIN:
                on_stdin(st, p, f);
                break;
        case AL_MSG_ACK:
                if (f->len == 4) {
                        uint64_t c = (uint64_t)p->credit + al_get_u32(f->payload);
                        p->credit = c > AL_CHAN_WINDOW ? AL_CHAN_WINDOW : (uint32_t)c;
                }
                break;
        case AL_MSG_SIGNAL:
                on_signal(st, p, f);
                break;
        case AL_MSG_RESIZE:
                on_resize(p, f);
                break;
        default:
                init_send_error(st, f->id, EPROTO, "unexpected %s frame", al_msg_name(f->type));
        }
}

static void read_chan(struct init_state *st)
{
        uint8_t tmp[65536];
        ssize_t n = read(st->chan, tmp, sizeof(tmp));
        struct al_frame f;
        long used;

        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                /* airlockd is gone: a later one adopts us, or, without the
                 * rendezvous (airlockd run), nothing can drive the sandbox. */
                if (st->can_outlive) {
                        init_chan_lost(st);
                        return;
                }
                st->chan_dead = true;
                st->shutting_down = true;
                kill_everything();
                return;
        }
        if (n < 0 || al_buf_append(&st->in, tmp, (size_t)n) < 0)
                return;
        while ((used = al_chan_decode(al_buf_head(&st->in), al_buf_size(&st->in), &f)) > 0) {
                on_frame(st, &f);
                al_buf_consume(&st->in, (size_t)used);
        }
        if (used < 0 && st->can_outlive) {
                init_chan_lost(st);
        } else if (used < 0) {
                st->chan_dead = true;
                st->shutting_down = true;
                kill_everything();
        }
}

/* --- children ------------------------------------------------------------ */

static void pump_output(struct init_state *st, struct init_proc *p, int *fd, uint16_t type)
{
        uint8_t buf[AL_CHAN_DATA_CHUNK];
        size_t want = p->credit < sizeof(buf) ? p->credit : sizeof(buf);
        ssize_t n;

        if (p->detached) /* nobody reads it: drop it, so that nothing blocks */
                want = sizeof(buf);
        n = read(*fd, buf, want);
        if (n > 0 && p->detached) {
                p->last_io_ms = init_now_ms();
        } else if (n > 0) {
                p->credit -= (uint32_t)n;
                p->last_io_ms = init_now_ms();
                init_send(st, type, p->id, buf, (size_t)n);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                /* EOF, or EIO from a pty whose last slave closed */
                if (p->tty)
                        p->in_fd = -1;
                close(*fd);
                *fd = -1;
        }
}

static void pump_stdin(struct init_state *st, struct init_proc *p)
{
        long n = al_buf_flush(&p->in_q, p->in_fd);
        uint8_t ack[4];

        if (n < 0) { /* EPIPE: the reader is gone */
                n = (long)al_buf_size(&p->in_q);
                al_buf_free(&p->in_q);
                p->in_eof = true;
        }
        if (n > 0) { /* room in the window again for airlockd */
                al_put_u32(ack, (uint32_t)n);
                init_send(st, AL_MSG_ACK, p->id, ack, sizeof(ack));
        }
}

static void reap(struct init_state *st)
{
        int status;
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                for (int i = 0; i < AL_MAX_PROCS; i++) {
                        struct init_proc *p = &st->procs[i];
                        if (!p->used || p->pid != pid || p->reaped)
                                continue;
                        p->reaped = true;
                        p->status = status;
                        p->last_io_ms = init_now_ms();
                        /* Whatever it left running in its group goes with it. */
                        kill(-pid, SIGKILL);
                        if (p->main) {
                                st->shutting_down = true;
                                kill_everything();
                        }
                }
        }
}

/* Acknowledge stdin bytes that reached the pipe, close stdin when asked, and
 * report exits once output is drained. */
static void settle(struct init_state *st)
{
        int64_t now = init_now_ms();

        for (int i = 0; i < AL_MAX_PROCS; i++) {
                struct init_proc *p = &st->procs[i];
                if (!p->used)
                        continue;
                if (p->in_fd >= 0 && !p->tty && p->in_eof && al_buf_size(&p->in_q) == 0) {
                        close(p->in_fd);
                        p->in_fd = -1;
                }
                if (!p->reaped)
                        continue;
                if (p->detached) {
                        init_proc_exited(st, p);
                        init_proc_release(p);
                        continue;
                }
                bool drained = p->out_fd < 0 && p->err_fd < 0;
                bool blocked = p->credit == 0 || al_buf_size(&st->out) >= AL_CHAN_MAX_QUEUE;
                if (!drained && (blocked || now - p->last_io_ms < INIT_DRAIN_GRACE_MS))
                        continue;
                send_exit(st, p);
                init_proc_release(p);
        }
}

static int build_poll(struct init_state *st, struct pollfd *pfd, struct init_proc **owner, int sfd)
{
        bool room = al_buf_size(&st->out) < AL_CHAN_MAX_QUEUE;
        int n = 0;

        pfd[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
        pfd[n++] = (struct pollfd){ .fd = st->chan_dead ? -1 : st->chan,
                                    .events = (short)(POLLIN | (al_buf_size(&st->out) ? POLLOUT : 0)) };
        pfd[n++] = (struct pollfd){ .fd = st->can_outlive ? AL_INIT_FD_RDV : -1, .events = POLLIN };
        for (int i = 0; i < AL_MAX_PROCS; i++) {
                struct init_proc *p = &st->procs[i];
                if (!p->used)
                        continue;
                bool out_ok = p->detached || (room && p->credit > 0);
                if (p->out_fd >= 0 && out_ok) {
                        owner[n] = p;
                        pfd[n++] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN };
                }
                if (p->err_fd >= 0 && out_ok) {
                        owner[n] = p;
                        pfd[n++] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN };
                }
                if (p->in_fd >= 0 && !p->tty && al_buf_size(&p->in_q)) {
                        owner[n] = p;
                        pfd[n++] = (struct pollfd){ .fd = p->in_fd, .events = POLLOUT };
                } else if (p->tty && p->in_fd >= 0 && al_buf_size(&p->in_q)) {
                        pump_stdin(st, p); /* pty master: small writes, rarely full */
                }
        }
        return n;
}

static void handle_ready(struct init_state *st, struct pollfd *pfd, struct init_proc **owner, int n)
{
        for (int i = 3; i < n; i++) {
                struct init_proc *p = owner[i];
                if (!pfd[i].revents || !p->used)
                        continue;
                if (pfd[i].fd == p->out_fd && (pfd[i].events & POLLIN))
                        pump_output(st, p, &p->out_fd, AL_MSG_STDOUT);
                else if (pfd[i].fd == p->err_fd && (pfd[i].events & POLLIN))
                        pump_output(st, p, &p->err_fd, AL_MSG_STDERR);
                else if (pfd[i].fd == p->in_fd)
                        pump_stdin(st, p);
        }
}

static bool any_proc(const struct init_state *st)
{
        for (int i = 0; i < AL_MAX_PROCS; i++)
                if (st->procs[i].used)
                        return true;
        return false;
}

/* A process that ended with its pipes still open is reported once they
 * have been quiet INIT_DRAIN_GRACE_MS (settle): only then is a timer needed.
 * Otherwise poll sleeps until something happens, so that hundreds of idle
 * sandboxes cost no CPU. */
static int poll_timeout(struct init_state *st)
{
        for (int i = 0; i < AL_MAX_PROCS; i++) {
                const struct init_proc *p = &st->procs[i];
                if (p->used && p->reaped && (p->out_fd >= 0 || p->err_fd >= 0))
                        return 50;
                if (p->used && p->tty && p->in_fd >= 0 && al_buf_size(&p->in_q))
                        return 50; /* a pty master that was full: try again soon */
        }
        return -1;
}

static int setup_signals(void)
{
        sigset_t set;

        sigfillset(&set);
        sigprocmask(SIG_BLOCK, &set, NULL);
        sigemptyset(&set);
        sigaddset(&set, SIGCHLD);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static void on_signalfd(struct init_state *st, int sfd)
{
        struct signalfd_siginfo si;

        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGCHLD)
                        continue;
                /* SIGTERM/SIGINT/SIGHUP to PID 1 (only the host can send them):
                 * end the sandbox. */
                st->shutting_down = true;
                kill_everything();
        }
        reap(st);
}

static void loop(struct init_state *st, int sfd)
{
        static struct pollfd pfd[POLL_MAX];
        static struct init_proc *owner[POLL_MAX];

        for (;;) {
                settle(st);
                if (!st->chan_dead && al_buf_size(&st->out) && al_buf_flush(&st->out, st->chan) < 0) {
                        if (st->can_outlive)
                                init_chan_lost(st);
                        else
                                st->chan_dead = true;
                }
                if (st->shutting_down && !any_proc(st) && (st->chan_dead || al_buf_size(&st->out) == 0))
                        return;
                int n = build_poll(st, pfd, owner, sfd);
                int r = poll(pfd, (nfds_t)n, poll_timeout(st));
                if (r < 0 && errno != EINTR)
                        return;
                if (r <= 0)
                        continue;
                if (pfd[0].revents)
                        on_signalfd(st, sfd);
                if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
                        read_chan(st);
                if (pfd[2].revents & POLLIN)
                        init_chan_arrived(st);
                handle_ready(st, pfd, owner, n);
        }
}

int main(void)
{
        static struct init_state st;
        uint8_t hello[4];
        int sfd;

        /* It kills every process it can see when the sandbox ends: outside a
         * pid namespace of its own that would be the host's. */
        if (getpid() != 1) {
                fputs("airlock-init: runs only as PID 1 of a sandbox (start it with airlockd)\n", stderr);
                return 2;
        }
        /* Nothing in the sandbox may ptrace or read the memory of PID 1. */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        st.chan = INIT_CHAN_FD;
        st.strict = getuid() != 0;
        fcntl(st.chan, F_SETFD, FD_CLOEXEC);
        fcntl(st.chan, F_SETFL, O_NONBLOCK);
        al_buf_init(&st.out, AL_CHAN_MAX_QUEUE);
        al_buf_init(&st.in, AL_CHAN_HDR + AL_CHAN_MAX_PAYLOAD + 65536);
        al_buf_init(&st.call, AL_MAX_CALL);
        st.env = json_object();
        for (int i = 0; i < AL_MAX_HANDLES; i++)
                st.handles[i] = -1;
        {
                struct init_user app;
                if (init_user_lookup("app", &app) == 0) {
                        st.app_uid = app.uid;
                        st.app_gid = app.gid;
                        snprintf(home, sizeof(home), "%s", app.home);
                } else {
                        st.app_uid = getuid();
                        st.app_gid = getgid();
                }
        }
        for (int i = 0; i < AL_MAX_PROCS; i++)
                st.procs[i] = (struct init_proc){ .in_fd = -1, .out_fd = -1, .err_fd = -1 };
        init_adopt_setup(&st);
        sfd = setup_signals();
        if (sfd < 0)
                return 1;
        al_put_u32(hello, AL_CHAN_VERSION);
        init_send(&st, AL_MSG_HELLO, 0, hello, sizeof(hello));
        loop(&st, sfd);
        return 0;
}
