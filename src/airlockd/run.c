/* SPDX-License-Identifier: Apache-2.0 */
/* "airlockd run": one sandbox in the foreground. It drives airlock-init over
 * the same channel the API uses, relaying the terminal's stdin, stdout and
 * stderr under the channel's flow control. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "airlockd.h"
#include "common/buf.h"
#include "common/chan.h"
#include "common/cleanup.h"

#define MAIN_ID 1

struct relay {
        int chan;
        struct al_buf out; /* frames toward airlock-init */
        struct al_buf in;  /* bytes from airlock-init */
        uint32_t stdin_credit;
        bool stdin_open;
        bool tty;
        bool exited;
        bool chan_eof;
        bool stdout_gone; /* our reader left: behave like a pipe does */
        uint32_t exit_kind, exit_value;
};

static struct termios saved_tio;
static bool tio_saved;

static void restore_tty(void)
{
        if (tio_saved)
                tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
}

static void raw_tty(void)
{
        struct termios t;

        if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio) < 0)
                return;
        tio_saved = true;
        atexit(restore_tty);
        t = saved_tio;
        cfmakeraw(&t);
        tcsetattr(STDIN_FILENO, TCSADRAIN, &t);
}

static void window_size(unsigned short *rows, unsigned short *cols)
{
        struct winsize ws = { 0 };

        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
                ws = (struct winsize){ .ws_row = 24, .ws_col = 80 };
        *rows = ws.ws_row;
        *cols = ws.ws_col;
}

static char *spawn_json(const struct run_opts *o)
{
        json_t *root = json_object(), *argv = json_array(), *env = json_array();
        unsigned short rows, cols;
        char *s;

        for (char **a = o->argv; *a; a++)
                json_array_append_new(argv, json_string(*a));
        for (int i = 0; i < o->n_env; i++)
                json_array_append_new(env, json_string(o->env[i]));
        json_object_set_new(root, "argv", argv);
        json_object_set_new(root, "env", env);
        json_object_set_new(root, "user", json_string(o->user));
        if (o->workdir)
                json_object_set_new(root, "cwd", json_string(o->workdir));
        json_object_set_new(root, "stdin", json_boolean(o->interactive || o->tty));
        json_object_set_new(root, "tty", json_boolean(o->tty));
        json_object_set_new(root, "main", json_true());
        if (o->tty) {
                window_size(&rows, &cols);
                json_object_set_new(root, "rows", json_integer(rows));
                json_object_set_new(root, "cols", json_integer(cols));
        }
        s = json_dumps(root, JSON_COMPACT);
        json_decref(root);
        return s;
}

static void send_frame(struct relay *rl, uint16_t type, const void *p, size_t n)
{
        (void)al_buf_append_frame(&rl->out, type, MAIN_ID, p, n);
}

static void on_frame(struct relay *rl, const struct al_frame *f)
{
        uint8_t ack[4];

        switch (f->type) {
        case AL_MSG_STDOUT:
        case AL_MSG_STDERR:
                if (f->type == AL_MSG_STDOUT && !rl->stdout_gone &&
                    al_write_all(STDOUT_FILENO, f->payload, f->len) == -EPIPE) {
                        /* As in a local pipeline: the writer gets SIGPIPE. */
                        uint8_t sig[4];
                        rl->stdout_gone = true;
                        al_put_u32(sig, SIGPIPE);
                        send_frame(rl, AL_MSG_SIGNAL, sig, sizeof(sig));
                } else if (f->type == AL_MSG_STDERR) {
                        (void)al_write_all(STDERR_FILENO, f->payload, f->len);
                }
                al_put_u32(ack, f->len);
                send_frame(rl, AL_MSG_ACK, ack, sizeof(ack));
                break;
        case AL_MSG_ACK:
                if (f->len == 4) {
                        uint64_t c = (uint64_t)rl->stdin_credit + al_get_u32(f->payload);
                        rl->stdin_credit = c > AL_CHAN_WINDOW ? AL_CHAN_WINDOW : (uint32_t)c;
                }
                break;
        case AL_MSG_EXIT:
                if (f->len == 8 && f->id == MAIN_ID) {
                        rl->exited = true;
                        rl->exit_kind = al_get_u32(f->payload);
                        rl->exit_value = al_get_u32(f->payload + 4);
                }
                break;
        case AL_MSG_ERROR:
                if (f->len >= 4) {
                        /* Text from inside the sandbox: print only printable bytes. */
                        fputs("airlockd: ", stderr);
                        for (uint32_t i = 4; i < f->len; i++) {
                                unsigned char c = f->payload[i];
                                fputc(c >= 0x20 && c < 0x7f ? c : '?', stderr);
                        }
                        fputc('\n', stderr);
                }
                break;
        default:
                break; /* hello, started: nothing to do here */
        }
}

static int read_chan(struct relay *rl)
{
        uint8_t tmp[65536];
        ssize_t n = read(rl->chan, tmp, sizeof(tmp));
        struct al_frame f;
        long used;

        /* A reset is airlock-init exiting with our last acks unread. */
        if (n == 0 || (n < 0 && errno == ECONNRESET)) {
                rl->chan_eof = true;
                return 0;
        }
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (al_buf_append(&rl->in, tmp, (size_t)n) < 0)
                return -ENOBUFS;
        while ((used = al_chan_decode(al_buf_head(&rl->in), al_buf_size(&rl->in), &f)) > 0) {
                on_frame(rl, &f);
                al_buf_consume(&rl->in, (size_t)used);
        }
        return used < 0 ? (int)used : 0;
}

static void read_stdin(struct relay *rl)
{
        uint8_t buf[AL_CHAN_DATA_CHUNK];
        size_t want = rl->stdin_credit < sizeof(buf) ? rl->stdin_credit : sizeof(buf);
        ssize_t n = read(STDIN_FILENO, buf, want);

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (n <= 0) {
                rl->stdin_open = false;
                send_frame(rl, AL_MSG_STDIN, NULL, 0);
                return;
        }
        rl->stdin_credit -= (uint32_t)n;
        send_frame(rl, AL_MSG_STDIN, buf, (size_t)n);
}

static void on_signal(struct relay *rl, int sfd)
{
        struct signalfd_siginfo si;
        uint8_t b[4];

        while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGWINCH) {
                        unsigned short rows, cols;
                        window_size(&rows, &cols);
                        al_put_u16(b, rows);
                        al_put_u16(b + 2, cols);
                        send_frame(rl, AL_MSG_RESIZE, b, 4);
                } else {
                        al_put_u32(b, si.ssi_signo);
                        send_frame(rl, AL_MSG_SIGNAL, b, 4);
                }
        }
}

static int relay_loop(struct relay *rl, int sfd)
{
        struct pollfd pfd[3];
        int r;

        while (!rl->chan_eof) {
                /* airlock-init may exit with our last acks unsent: that is its
                 * end, not an error; what it sent before is still to be read. */
                if (al_buf_size(&rl->out) && al_buf_flush(&rl->out, rl->chan) < 0)
                        al_buf_free(&rl->out);
                pfd[0] = (struct pollfd){ .fd = rl->chan,
                                          .events = (short)(POLLIN | (al_buf_size(&rl->out) ? POLLOUT : 0)) };
                pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
                pfd[2] = (struct pollfd){ .fd = rl->stdin_open && rl->stdin_credit ? STDIN_FILENO : -1,
                                          .events = POLLIN };
                if (poll(pfd, 3, -1) < 0 && errno != EINTR)
                        return -errno;
                if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        r = read_chan(rl);
                        if (r < 0)
                                return r;
                }
                if (pfd[1].revents)
                        on_signal(rl, sfd);
                if (pfd[2].revents)
                        read_stdin(rl);
        }
        return 0;
}

static int setup_signals(void)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGHUP);
        sigaddset(&set, SIGQUIT);
        sigaddset(&set, SIGWINCH);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGPIPE, SIG_IGN);
        return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int airlockd_init_path(char *buf, size_t len)
{
        const char *env = getenv("AIRLOCK_INIT");
        char self[PATH_MAX];
        ssize_t n;

        if (env) {
                snprintf(buf, len, "%s", env);
                return 0;
        }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return -errno;
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash)
                *slash = '\0';
        snprintf(buf, len, "%s/airlock-init", self);
        return 0;
}

/* Exit status as a shell reports it, with the reason when a limit was hit. */
static int final_status(const struct relay *rl, const struct rt_sandbox *sb, const struct run_opts *o)
{
        struct rt_stats stats = { 0 };

        (void)rt_sandbox_stats(sb, &stats);
        if (stats.pids_max_hits > 0)
                fprintf(stderr, "airlockd: process limit reached: %llu forks refused (--pids %u)\n",
                        (unsigned long long)stats.pids_max_hits, o->limits.pids);
        if (!rl->exited) {
                fprintf(stderr, "airlockd: the sandbox ended before reporting an exit status\n");
                return 255;
        }
        if (rl->exit_kind == AL_EXIT_SIGNAL) {
                if (rl->exit_value == SIGKILL && stats.oom_kills > 0) {
                        fprintf(stderr, "airlockd: out of memory: the command exceeded --memory %lluM\n",
                                (unsigned long long)(o->limits.memory_bytes >> 20));
                        return 137;
                }
                return 128 + (int)(rl->exit_value & 0x7f);
        }
        if (stats.oom_kills > 0)
                fprintf(stderr, "airlockd: out of memory: --memory %lluM killed %llu process(es) in the sandbox\n",
                        (unsigned long long)(o->limits.memory_bytes >> 20), (unsigned long long)stats.oom_kills);
        return (int)(rl->exit_value & 0xff);
}

int airlockd_run(const struct run_opts *o)
{
        struct rt_config cfg = {
                .state_dir = o->state_dir, .image = o->image, .profile = o->profile, .limits = o->limits
        };
        struct relay rl = { .stdin_credit = AL_CHAN_WINDOW, .stdin_open = o->interactive || o->tty, .tty = o->tty };
        struct al_error err = { 0 };
        struct rt_sandbox *sb = NULL;
        char path[PATH_MAX];
        int r, sfd, status;

        if (airlockd_init_path(path, sizeof(path)) < 0 || (cfg.init_fd = rt_init_binary_open(path, &err)) < 0 ||
            rt_id_generate("loc", cfg.id) < 0 || rt_sandbox_create(&cfg, &sb, &err) < 0) {
                fprintf(stderr, "airlockd: %s\n", err.msg[0] ? err.msg : "cannot start the sandbox");
                return 125;
        }
        close(cfg.init_fd);
        /* One-shot sandboxes have no egress proxy: no network beyond loopback. */
        rt_sandbox_door_shut(sb);
        sfd = setup_signals();
        rl.chan = rt_sandbox_chan_fd(sb);
        fcntl(rl.chan, F_SETFL, O_NONBLOCK);
        al_buf_init(&rl.out, AL_CHAN_MAX_QUEUE + AL_CHAN_WINDOW);
        al_buf_init(&rl.in, AL_CHAN_HDR + AL_CHAN_MAX_PAYLOAD + 65536);
        char *json = spawn_json(o);
        al_buf_append_frame(&rl.out, AL_MSG_SPAWN, MAIN_ID, json, strlen(json));
        free(json);
        if (o->tty)
                raw_tty();
        r = relay_loop(&rl, sfd);
        restore_tty();
        if (r < 0)
                fprintf(stderr, "airlockd: channel to the sandbox failed: %s\n", strerror(-r));
        /* The limits' counters are final once the main command has ended;
         * destroy_async reaps what is left of the sandbox. */
        status = final_status(&rl, sb, o);
        rt_sandbox_destroy_async(sb);
        al_buf_free(&rl.out);
        al_buf_free(&rl.in);
        return status;
}
