/* SPDX-License-Identifier: Apache-2.0 */
/* Starting commands. Each runs in its own session (so its own process group,
 * which a kill reaches whole) as the requested user, with the environment
 * given, stdin from the channel or /dev/null, stdout and stderr to pipes (or
 * one pty). An exec failure comes back through a close-on-exec pipe. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "init.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct spawn_req {
        char **argv;
        char **envp;
        const char *cwd;
        struct init_user user;
        bool tty, use_stdin, main;
        bool null_stdout, null_stderr;
        unsigned short rows, cols;
        uint32_t ctl; /* a control channel under this id (deno.c), or 0 */
};

struct init_proc *init_proc_find(struct init_state *st, uint32_t id)
{
        for (int i = 0; i < AL_MAX_PROCS; i++)
                if (st->procs[i].used && st->procs[i].id == id)
                        return &st->procs[i];
        return NULL;
}

static struct init_proc *proc_alloc(struct init_state *st)
{
        for (int i = 0; i < AL_MAX_PROCS; i++)
                if (!st->procs[i].used)
                        return &st->procs[i];
        return NULL;
}

void init_proc_close_fds(struct init_proc *p)
{
        int *fds[] = { &p->in_fd, &p->out_fd, &p->err_fd };
        for (size_t i = 0; i < ARRAY_SIZE(fds); i++) {
                /* with a pty, in_fd and out_fd are the same master */
                if (*fds[i] >= 0 && !(i == 0 && p->tty))
                        close(*fds[i]);
                *fds[i] = -1;
        }
}

void init_proc_release(struct init_proc *p)
{
        init_proc_close_fds(p);
        al_buf_free(&p->in_q);
        *p = (struct init_proc){ .in_fd = -1, .out_fd = -1, .err_fd = -1 };
}

static void free_strv(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

/* A JSON array of strings into a NULL-terminated vector, with caps. */
static int strv_from_json(json_t *arr, size_t max, char ***ret)
{
        size_t n = json_array_size(arr), i;
        char **v;

        if (!json_is_array(arr) || n > max)
                return -E2BIG;
        v = calloc(n + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (i = 0; i < n; i++) {
                json_t *s = json_array_get(arr, i);
                if (!json_is_string(s) || json_string_length(s) > AL_MAX_ARG_LEN ||
                    strlen(json_string_value(s)) != json_string_length(s)) {
                        free_strv(v);
                        return -EINVAL;
                }
                v[i] = strdup(json_string_value(s));
        }
        *ret = v;
        return 0;
}

static bool env_has(char **env, const char *key)
{
        size_t k = strlen(key);
        for (char **e = env; e && *e; e++)
                if (strncmp(*e, key, k) == 0 && (*e)[k] == '=')
                        return true;
        return false;
}

/* Defaults first where the request did not set them. */
static int env_complete(struct spawn_req *rq)
{
        char buf[8][AL_MAX_PATH + 16];
        size_t n = 0, extra = 0;

        for (char **e = rq->envp; e && *e; e++)
                n++;
        snprintf(buf[extra++], sizeof(buf[0]), "PATH=%s", DEFAULT_PATH);
        snprintf(buf[extra++], sizeof(buf[0]), "HOME=%s", rq->user.home);
        snprintf(buf[extra++], sizeof(buf[0]), "USER=%s", rq->user.name);
        snprintf(buf[extra++], sizeof(buf[0]), "LOGNAME=%s", rq->user.name);
        snprintf(buf[extra++], sizeof(buf[0]), "SHELL=%s", rq->user.shell);
        snprintf(buf[extra++], sizeof(buf[0]), "TERM=%s", rq->tty ? "xterm-256color" : "dumb");
        /* The egress proxy's CA, for the runtimes that do not read the
         * system bundle (airlockd mounts it; `airlockd run` may not). */
        if (access(INIT_EGRESS_CA, R_OK) == 0) {
                snprintf(buf[extra++], sizeof(buf[0]), "NODE_EXTRA_CA_CERTS=%s", INIT_EGRESS_CA);
                snprintf(buf[extra++], sizeof(buf[0]), "DENO_CERT=%s", INIT_EGRESS_CA);
        }
        char **v = realloc(rq->envp, (n + extra + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        rq->envp = v;
        v[n] = NULL;
        for (size_t i = 0; i < extra; i++) {
                char *eq = strchr(buf[i], '=');
                *eq = '\0';
                bool have = env_has(v, buf[i]);
                *eq = '=';
                if (!have) {
                        v[n++] = strdup(buf[i]);
                        v[n] = NULL;
                }
        }
        return 0;
}

/* The SDK's form: "command" plus "args"; ours: "argv". */
static int argv_from_request(json_t *root, char ***ret)
{
        json_t *argv = json_object_get(root, "argv"), *cmd = json_object_get(root, "command");
        json_t *args = json_object_get(root, "args");
        int r;

        if (argv || !json_is_string(cmd))
                return strv_from_json(argv, AL_MAX_ARGS, ret);
        json_t *all = json_array();
        json_array_append(all, cmd);
        if (json_is_array(args))
                json_array_extend(all, args);
        r = strv_from_json(all, AL_MAX_ARGS, ret);
        json_decref(all);
        return r;
}

static int strv_push(char ***v, size_t *n, char *s)
{
        char **nv = realloc(*v, (*n + 2) * sizeof(**v));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        nv[(*n)++] = s;
        nv[*n] = NULL;
        *v = nv;
        return 0;
}

/* The command's environment: the sandbox's (envSet) unless clearEnv, then
 * the request's variables on top. Later entries win in execve's list only by
 * convention, so each key appears once. */
static int env_merge(struct init_state *st, json_t *root, char ***envp)
{
        json_t *merged = json_object(), *obj = json_object_get(root, "envObj");
        const char *k;
        json_t *v;
        size_t n = 0;
        char **out = NULL;
        int r = 0;

        if (!json_is_true(json_object_get(root, "clearEnv")))
                json_object_update(merged, st->env);
        for (char **e = *envp; e && *e; e++) {
                char *eq = strchr(*e, '=');
                if (!eq || eq == *e)
                        continue;
                *eq = '\0';
                json_object_set_new(merged, *e, json_string(eq + 1));
                *eq = '=';
        }
        if (json_is_object(obj) && json_object_size(obj) <= AL_MAX_ENV)
                json_object_foreach (obj, k, v)
                        if (json_is_string(v) && *k && !strchr(k, '='))
                                json_object_set(merged, k, v);
        if (json_object_size(merged) > AL_MAX_ENV) {
                json_decref(merged);
                return -E2BIG;
        }
        out = calloc(1, sizeof(*out));
        json_object_foreach (merged, k, v) {
                char *s = NULL;
                if (!out || asprintf(&s, "%s=%s", k, json_string_value(v)) < 0 || strv_push(&out, &n, s) < 0) {
                        r = -ENOMEM;
                        break;
                }
        }
        json_decref(merged);
        free_strv(*envp);
        *envp = out;
        return r;
}

static int parse_request(struct init_state *st, const uint8_t *json, size_t len, struct spawn_req *rq,
                         json_t **ret_root, char *why, size_t whylen)
{
        json_error_t jerr;
        json_t *root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
        json_t *env, *user;
        const char *uname;
        int r;

        if (!root || !json_is_object(root)) {
                snprintf(why, whylen, "bad spawn request: %s", root ? "not an object" : jerr.text);
                json_decref(root);
                return -EINVAL;
        }
        *ret_root = root;
        /* First: a main command that cannot start still ends the sandbox. */
        rq->main = json_is_true(json_object_get(root, "main"));
        r = argv_from_request(root, &rq->argv);
        if (r < 0 || !rq->argv[0]) {
                snprintf(why, whylen, "spawn needs a command (argv, or command and args)");
                return r < 0 ? r : -EINVAL;
        }
        env = json_object_get(root, "env");
        if (env && strv_from_json(env, AL_MAX_ENV, &rq->envp) < 0) {
                snprintf(why, whylen, "env must be an array of KEY=VALUE strings");
                return -EINVAL;
        }
        r = env_merge(st, root, &rq->envp);
        if (r < 0) {
                snprintf(why, whylen, "env: %s", strerror(-r));
                return r;
        }
        user = json_object_get(root, "user");
        uname = json_is_string(user) ? json_string_value(user) : "app";
        r = init_user_lookup(uname, &rq->user);
        if (r < 0) {
                snprintf(why, whylen, "no such user '%s' in the sandbox", uname);
                return r;
        }
        if (st->strict && rq->user.uid != getuid()) {
                snprintf(why, whylen, "the strict profile runs every command as uid %u", (unsigned)getuid());
                return -EPERM;
        }
        rq->cwd = json_string_value(json_object_get(root, "cwd"));
        rq->tty = json_is_true(json_object_get(root, "tty"));
        rq->use_stdin = json_is_true(json_object_get(root, "stdin"));
        rq->null_stdout = !strcmp(json_string_value(json_object_get(root, "stdout")) ?: "", "null");
        rq->null_stderr = !strcmp(json_string_value(json_object_get(root, "stderr")) ?: "", "null");
        rq->rows = (unsigned short)json_integer_value(json_object_get(root, "rows"));
        rq->cols = (unsigned short)json_integer_value(json_object_get(root, "cols"));
        rq->ctl = (uint32_t)json_integer_value(json_object_get(root, "ctl"));
        return env_complete(rq);
}

/* In the forked child: become the user, wire stdio, exec. Never returns. */
static void exec_child(const struct spawn_req *rq, int fds[3], const int ctl[2], int errpipe, bool strict)
{
        sigset_t none;
        int e;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++)
                signal(s, SIG_DFL);
        setsid();
        for (int i = 0; i < 3; i++)
                if (dup2(fds[i], i) < 0)
                        goto fail;
        if (rq->tty && ioctl(0, TIOCSCTTY, 0) < 0)
                goto fail;
        if (ctl[0] >= 0 && init_ctl_child(ctl, rq->user.uid, rq->user.gid) < 0)
                goto fail;
        if (!strict) {
                if (setgroups(1, &rq->user.gid) < 0 || setresgid(rq->user.gid, rq->user.gid, rq->user.gid) < 0 ||
                    setresuid(rq->user.uid, rq->user.uid, rq->user.uid) < 0)
                        goto fail;
        }
        if (chdir(rq->cwd ? rq->cwd : rq->user.home) < 0)
                goto fail;
        /* execvpe() searches the caller's PATH (airlock-init has none of
         * its own): search the command's, so /usr/local/bin works. */
        environ = rq->envp;
        execvp(rq->argv[0], rq->argv);
fail:
        e = errno;
        if (write(errpipe, &e, sizeof(e)) < 0)
                e = errno;
        _exit(e == ENOENT ? 127 : 126); /* the shell's convention */
}

static int open_pty(const struct spawn_req *rq, int *ret_master, int *ret_slave)
{
        struct winsize ws = { .ws_row = rq->rows ? rq->rows : 24, .ws_col = rq->cols ? rq->cols : 80 };
        int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), slave;

        if (master < 0)
                return -errno;
        if (unlockpt(master) < 0 || ioctl(master, TIOCSWINSZ, &ws) < 0) {
                close(master);
                return -errno;
        }
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0) {
                close(master);
                return -errno;
        }
        if (fchown(slave, rq->user.uid, (gid_t)5) < 0) {
                /* strict profile: already ours */
        }
        *ret_master = master;
        *ret_slave = slave;
        return 0;
}

/* Child ends in fds[], our ends in p. */
static int make_stdio(const struct spawn_req *rq, struct init_proc *p, int fds[3])
{
        int in[2] = { -1, -1 }, out[2], err[2];

        if (rq->tty) {
                int m = -1, s = -1, r = open_pty(rq, &m, &s);
                if (r < 0)
                        return r;
                fcntl(m, F_SETFL, O_NONBLOCK);
                p->in_fd = p->out_fd = m;
                fds[0] = fds[1] = fds[2] = s;
                return 0;
        }
        if (rq->use_stdin ? pipe2(in, O_CLOEXEC) : (in[0] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
                return -errno;
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
                return -errno;
        /* "null" output: the child writes to /dev/null, our read end sees EOF at once */
        if (rq->null_stdout) {
                close(out[1]);
                out[1] = open("/dev/null", O_WRONLY | O_CLOEXEC);
        }
        if (rq->null_stderr) {
                close(err[1]);
                err[1] = open("/dev/null", O_WRONLY | O_CLOEXEC);
        }
        if (in[1] >= 0)
                fcntl(in[1], F_SETFL, O_NONBLOCK);
        p->in_fd = in[1];
        p->out_fd = out[0];
        p->err_fd = err[0];
        fds[0] = in[0];
        fds[1] = out[1];
        fds[2] = err[1];
        return 0;
}

static void close_child_ends(int fds[3])
{
        for (int i = 0; i < 3; i++)
                if (fds[i] >= 0 && (i == 0 || fds[i] != fds[i - 1]))
                        close(fds[i]);
}

static int start(struct init_state *st, struct init_proc *p, const struct spawn_req *rq, char *why, size_t whylen)
{
        int fds[3] = { -1, -1, -1 }, ep[2], e = 0, ctl[2] = { -1, -1 };
        struct init_proc *q = NULL;
        pid_t pid;
        ssize_t n;
        int r = make_stdio(rq, p, fds);

        if (r >= 0 && rq->ctl && (r = init_ctl_open(st, rq->ctl, ctl, &q)) < 0) {
                snprintf(why, whylen, "control channel: %s", strerror(-r));
                close_child_ends(fds);
                return r;
        }
        if (r < 0 || pipe2(ep, O_CLOEXEC) < 0) {
                int e2 = r < 0 ? -r : errno;
                snprintf(why, whylen, "set up stdio: %s", strerror(e2));
                close_child_ends(fds);
                if (q) {
                        close(ctl[0]);
                        close(ctl[1]);
                        init_proc_release(q);
                }
                return -e2;
        }
        pid = fork();
        if (pid == 0)
                exec_child(rq, fds, ctl, ep[1], st->strict);
        close(ep[1]);
        close_child_ends(fds);
        for (int i = 0; i < 2; i++)
                if (ctl[i] >= 0)
                        close(ctl[i]);
        if (q && pid > 0)
                q->pid = pid; /* reaped and reported with it */
        else if (q)
                init_proc_release(q);
        if (pid < 0) {
                close(ep[0]);
                snprintf(why, whylen, "fork: %s", strerror(errno));
                return -errno;
        }
        p->pid = pid;
        do
                n = read(ep[0], &e, sizeof(e));
        while (n < 0 && errno == EINTR);
        close(ep[0]);
        if (n == sizeof(e)) {
                snprintf(why, whylen, "%s: %s", rq->argv[0], strerror(e));
                return -e;
        }
        return 0;
}

int init_proc_spawn(struct init_state *st, uint32_t id, const uint8_t *json, size_t len)
{
        struct spawn_req rq = { 0 };
        json_t *root = NULL;
        struct init_proc *p;
        char why[AL_MAX_ERRMSG] = "";
        int r;

        if (id == 0 || init_proc_find(st, id)) {
                init_send_error(st, id, EEXIST, "process id %u is in use", id);
                return -EEXIST;
        }
        p = proc_alloc(st);
        if (!p) {
                init_send_error(st, id, EAGAIN, "too many processes (%d)", AL_MAX_PROCS);
                return -EAGAIN;
        }
        r = parse_request(st, json, len, &rq, &root, why, sizeof(why));
        if (r >= 0) {
                *p = (struct init_proc){ .used = true,
                                         .id = id,
                                         .main = rq.main,
                                         .tty = rq.tty,
                                         .in_fd = -1,
                                         .out_fd = -1,
                                         .err_fd = -1,
                                         .credit = AL_CHAN_WINDOW };
                al_buf_init(&p->in_q, AL_CHAN_WINDOW + AL_CHAN_DATA_CHUNK);
                r = start(st, p, &rq, why, sizeof(why));
        }
        if (r < 0) {
                init_send_error(st, id, -r, "%s", why[0] ? why : strerror(-r));
                /* exec failed after the fork: the child is exiting; it is reaped
                 * as usual and its exit (127) reported, so the slot stays (and
                 * the request is freed below, as on every path) */
                bool forked = p->used && p->pid > 0;
                if (!forked)
                        init_proc_release(p);
                if (!forked && rq.main) { /* nothing to wait for: the sandbox ends now */
                        uint8_t ex[8];
                        al_put_u32(ex, AL_EXIT_CODE);
                        al_put_u32(ex + 4, r == -ENOENT ? 127 : 126);
                        init_send(st, AL_MSG_EXIT, id, ex, sizeof(ex));
                        st->shutting_down = true;
                }
        } else {
                uint8_t pidb[4];
                al_put_u32(pidb, (uint32_t)p->pid);
                init_send(st, AL_MSG_STARTED, id, pidb, sizeof(pidb));
        }
        free_strv(rq.argv);
        free_strv(rq.envp);
        json_decref(root);
        return r;
}
