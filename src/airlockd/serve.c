/* SPDX-License-Identifier: Apache-2.0 */
/* "airlockd serve": the API server on one event loop. */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "airlockd.h"
#include "api/server.h"
#include "api/ssh.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "common/parse.h"
#include "net/policy.h"
#include "sandbox/egress.h"
#include "sandbox/live.h"
#include "store/store.h"

#define TOKEN_LEN 44

/* One airlockd serves a state directory: a second would take the first's
 * sandboxes away from it. The lock goes with the process. */
static int lock_state_dir(const char *state_dir, struct al_error *err)
{
        char path[PATH_MAX], pid[32] = "";
        int fd;

        snprintf(path, sizeof(path), "%s/airlockd.lock", state_dir);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return al_error_set(err, errno, "open %s", path);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
                pid[n > 0 ? n : 0] = '\0';
                pid[strcspn(pid, "\n")] = '\0';
                close(fd);
                return al_error_setx(err, EBUSY,
                                     "another airlockd (pid %s) serves %s: stop it first, or give this one "
                                     "another --state-dir",
                                     pid[0] ? pid : "?", state_dir);
        }
        snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
                return al_error_set(err, errno, "write %s", path);
        return 0; /* fd stays open (close-on-exec) as long as we run */
}

/* The store, with the token of <state>/token as the first admin token. */
static int open_store(struct api_config *cfg, const char *token, struct al_error *err)
{
        struct store_token t;
        int r = lock_state_dir(cfg->state_dir, err);

        if (r >= 0)
                r = store_open(cfg->state_dir, &cfg->store, err);
        if (r < 0)
                return r;
        if (store_token_check(cfg->store, token, &t) == 0)
                return 0;
        if (store_token_count(cfg->store) == 0)
                return store_token_import(cfg->store, "admin", token, true, &t, err);
        al_log(AL_LOG_WARN, "api", "the token in the state directory is not a live token (revoked?)", "file", "token",
               NULL);
        return 0;
}

/* The token lives in <state>/token, 0600, made at first start. Its ddo_
 * prefix spares SDK users an organisation setting. */
static int load_token(const char *state_dir, char *buf, size_t len, bool *ret_new, struct al_error *err)
{
        char path[PATH_MAX];
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        unsigned char rnd[TOKEN_LEN];

        snprintf(path, sizeof(path), "%s/token", state_dir);
        if (mkdir(state_dir, 0755) < 0 && errno != EEXIST)
                return al_error_set(err, errno, "create %s", state_dir);
        _cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                ssize_t n = read(fd, buf, len - 1);
                if (n <= 4)
                        return al_error_setx(err, EINVAL, "%s is empty: remove it to make a new token", path);
                buf[n] = '\0';
                buf[strcspn(buf, "\r\n")] = '\0';
                *ret_new = false;
                return 0;
        }
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                return al_error_set(err, EIO, "getrandom");
        memcpy(buf, "ddo_", 4);
        for (size_t i = 0; i < sizeof(rnd) && i + 5 < len; i++)
                buf[4 + i] = alphabet[rnd[i] % 36];
        buf[4 + sizeof(rnd)] = '\0';
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return al_error_set(err, errno, "create %s", path);
        if (write(fd, buf, strlen(buf)) < 0 || write(fd, "\n", 1) < 0)
                return al_error_set(err, errno, "write %s", path);
        *ret_new = true;
        return 0;
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
        event_base_loopbreak(arg);
}

static void on_child(evutil_socket_t sig, short what, void *arg)
{
        /* background teardown helpers (rt_sandbox_destroy_async) */
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
}

/* Operator settings of the network door, checked here so that a typo stops
 * the start with a clear message instead of a proxy that refuses to run. */
static int net_option(struct egress_config *e, int opt, const char *arg)
{
        struct al_error err = { 0 };
        int r = 0;

        if (opt == 'U') {
                e->upstream_ca = arg;
                return access(arg, R_OK) == 0 ? 0
                                              : (fprintf(stderr, "airlockd: --upstream-ca: cannot read %s\n", arg), -1);
        }
        if ((opt == 'A' ? e->n_allow_addrs : e->n_overrides) >= EGRESS_MAX_OPTS) {
                fprintf(stderr, "airlockd: at most %d of each --net-* option\n", EGRESS_MAX_OPTS);
                return -1;
        }
        if (opt == 'A') {
                struct net_cidr_list l = { 0 };
                r = net_cidr_list_add(&l, arg, &err);
                e->allow_addrs[e->n_allow_addrs++] = arg;
        } else {
                struct net_override o;
                r = net_override_parse(arg, &o, &err);
                e->overrides[e->n_overrides++] = arg;
        }
        if (r < 0)
                fprintf(stderr, "airlockd: --net-%s: %s\n", opt == 'A' ? "allow-addr" : "override", err.msg);
        return r;
}

static const struct option serve_options[] = {
        { "listen", required_argument, NULL, 'l' },
        { "state-dir", required_argument, NULL, 's' },
        { "image", required_argument, NULL, 'm' },
        { "profile", required_argument, NULL, 'p' },
        { "tls-cert", required_argument, NULL, 'c' },
        { "tls-key", required_argument, NULL, 'k' },
        { "max-sandboxes", required_argument, NULL, 'n' },
        { "expose-domain", required_argument, NULL, 'x' },
        { "net-allow-addr", required_argument, NULL, 'A' },
        { "net-override", required_argument, NULL, 'O' },
        { "upstream-ca", required_argument, NULL, 'U' },
        { "ssh-listen", required_argument, NULL, 'S' },
        { "stop-sandboxes-on-exit", no_argument, NULL, 'E' },
        { "adopt-grace", required_argument, NULL, 'G' },
        { "log-format", required_argument, NULL, 'F' },
        { "log-level", required_argument, NULL, 'L' },
        { "config", required_argument, NULL, 'C' }, /* read before the rest (airlockd_conf_apply) */
        { NULL, 0, NULL, 0 },
};
static const char *const serve_repeatable[] = { "net-allow-addr", "net-override", NULL };

/* The operations flags: --adopt-grace and the log's format and level. */
static int ops_option(struct api_config *cfg, int opt, const char *arg)
{
        enum al_log_level lvl;
        uint64_t n;

        if (opt == 'G' && al_parse_uint(arg, 1, 86400, &n) == 0)
                return cfg->adopt_grace_ms = (unsigned)n * 1000, 0;
        if (opt == 'F' && (strcmp(arg, "logfmt") == 0 || strcmp(arg, "json") == 0))
                return al_log_set_format(strcmp(arg, "json") == 0), 0;
        if (opt == 'L' && al_log_level_parse(arg, &lvl) == 0)
                return al_log_set_level(lvl), 0;
        if (opt == 'G')
                fprintf(stderr, "airlockd: --adopt-grace: '%s' is not a number of seconds in 1..86400\n", arg);
        else if (opt == 'F')
                fprintf(stderr, "airlockd: --log-format: '%s' is not logfmt or json\n", arg);
        else
                fprintf(stderr, "airlockd: --log-level: '%s' is not debug, info, warn or error\n", arg);
        return -1;
}

int airlockd_serve(int argc, char **argv, const char *state_dir)
{
        struct api_config cfg = { .listen = "127.0.0.1:8080",
                                  .state_dir = state_dir,
                                  .image = "default",
                                  .max_sandboxes = AIRLOCKD_DEFAULT_MAX_SANDBOXES,
                                  .adopt_grace_ms = 60000 };
        _cleanup_(airlockd_conf_free) struct airlockd_conf conf = { 0 };
        uint64_t n;
        struct al_error err = { 0 };
        struct api_server *srv = NULL;
        char token[128], init_path[PATH_MAX], expose_host[AIRLOCKD_EXPOSE_HOST_MAX + 1];
        bool fresh = false;
        const char *ssh_listen = NULL;
        struct egress_config ecfg = { .image = "default" };
        int c;

        if (airlockd_conf_apply(&argc, &argv, AIRLOCKD_CONF_PATH, serve_options, serve_repeatable, &conf, &err) < 0) {
                fprintf(stderr, "airlockd: %s\n", err.msg);
                return 2;
        }
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+", serve_options, NULL)) != -1) {
                switch (c) {
                case 'l':
                        cfg.listen = optarg;
                        break;
                case 's':
                        cfg.state_dir = optarg;
                        break;
                case 'm':
                        cfg.image = optarg;
                        break;
                case 'p':
                        if (strcmp(optarg, "strict") == 0)
                                cfg.profile = RT_PROFILE_STRICT;
                        else if (strcmp(optarg, "default") != 0) {
                                fprintf(stderr, "airlockd: --profile: '%s' is neither default nor strict\n", optarg);
                                return 2;
                        }
                        break;
                case 'c':
                        cfg.tls_cert = optarg;
                        break;
                case 'k':
                        cfg.tls_key = optarg;
                        break;
                case 'x':
                        if (airlockd_parse_expose_domain(optarg, expose_host, &cfg.expose_port, &err) < 0) {
                                fprintf(stderr, "airlockd: %s\n", err.msg);
                                return 2;
                        }
                        cfg.expose_host = expose_host;
                        break;
                case 'n':
                        if (al_parse_uint(optarg, 1, AL_MAX_SLOTS, &n) < 0) {
                                fprintf(stderr, "airlockd: --max-sandboxes: '%s' is not a number in 1..%u\n", optarg,
                                        AL_MAX_SLOTS);
                                return 2;
                        }
                        cfg.max_sandboxes = (unsigned)n;
                        break;
                case 'S':
                        ssh_listen = optarg;
                        break;
                case 'E':
                        cfg.stop_on_exit = true;
                        break;
                case 'C':
                        break; /* read already */
                case 'G':
                case 'F':
                case 'L':
                        if (ops_option(&cfg, c, optarg) < 0)
                                return 2;
                        break;
                case 'A':
                case 'O':
                case 'U':
                        if (net_option(&ecfg, c, optarg) < 0)
                                return 2;
                        break;
                default:
                        fprintf(stderr, "airlockd: serve: unknown or incomplete option '%s'\n", argv[optind - 1]);
                        return 2;
                }
        }
        if (load_token(cfg.state_dir, token, sizeof(token), &fresh, &err) < 0 ||
            airlockd_init_path(init_path, sizeof(init_path)) < 0 ||
            (cfg.init_fd = rt_init_binary_open(init_path, &err)) < 0) {
                fprintf(stderr, "airlockd: %s\n", err.msg[0] ? err.msg : "cannot find airlock-init");
                return 1;
        }
        if (open_store(&cfg, token, &err) < 0) {
                fprintf(stderr, "airlockd: %s\n", err.msg);
                return 1;
        }
        signal(SIGPIPE, SIG_IGN);
        /* About eight descriptors per live sandbox: take what the hard limit allows. */
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
                nofile.rlim_cur = nofile.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &nofile);
        }
        struct event_base *base = event_base_new();
        ecfg.state_dir = cfg.state_dir;
        ecfg.image = cfg.image;
        if (!base || egress_start(base, &ecfg, &err) < 0 || api_server_start(base, &cfg, &srv, &err) < 0 ||
            api_server_adopt(srv, &err) < 0) {
                fprintf(stderr, "airlockd: %s\n", err.msg[0] ? err.msg : "cannot start the event loop");
                return 1;
        }
        /* The default port may be taken (another airlockd): then no SSH, said once.
         * A port the operator chose must work. */
        if (api_ssh_start(base, ssh_listen ? ssh_listen : API_SSH_DEFAULT_LISTEN, cfg.state_dir, &err) < 0) {
                fprintf(stderr, "airlockd: %s%s\n", err.msg, ssh_listen ? "" : " (exposeSsh is off; see --ssh-listen)");
                if (ssh_listen)
                        return 1;
        }
        struct event *ev_term = evsignal_new(base, SIGTERM, on_stop, base);
        struct event *ev_int = evsignal_new(base, SIGINT, on_stop, base);
        struct event *ev_chld = evsignal_new(base, SIGCHLD, on_child, NULL);
        event_add(ev_term, NULL);
        event_add(ev_int, NULL);
        event_add(ev_chld, NULL);
        const char *scheme = cfg.tls_cert ? "https" : "http";
        printf("airlockd: listening on %s://%s%s\n"
               "export DENO_SANDBOX_ENDPOINT=%s://%s DENO_DEPLOY_ENDPOINT=%s://%s DENO_DEPLOY_TOKEN=%s\n",
               scheme, cfg.listen, fresh ? " (new token written to the state directory)" : "", scheme, cfg.listen,
               scheme, cfg.listen, token);
        printf("airlockd: exposed ports are https://<name>.%s; clients trust %s (NODE_EXTRA_CA_CERTS)\n",
               api_server_ingress_base(srv), api_server_ingress_ca(srv));
        fflush(stdout);
        event_base_dispatch(base);
        /* Sandboxes being freed from an earlier turn finish first, then the rest. */
        event_base_loop(base, EVLOOP_NONBLOCK);
        api_ssh_stop();
        if (cfg.stop_on_exit)
                sbx_kill_all();
        else
                sbx_release_all();              /* for the next start to adopt */
        event_base_loop(base, EVLOOP_NONBLOCK); /* flush the close frames */
        api_server_stop(srv);
        egress_stop();
        store_close(cfg.store);
        event_free(ev_term);
        event_free(ev_int);
        event_free(ev_chld);
        event_base_free(base);
        return 0;
}
