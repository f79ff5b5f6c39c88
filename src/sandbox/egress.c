/* SPDX-License-Identifier: Apache-2.0 */
#include "egress.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/cleanup.h"
#include "common/ctlmsg.h"
#include "common/log.h"
#include "common/metrics.h"
#include "live.h"
#include "net/cert.h"
#include "net/policy.h"
#include "net/rewrite.h"

#define EGRESS_MAX_SECRETS 64
#define EGRESS_MAX_SECRET_NAME 256
#define EGRESS_RESPAWN_MS 200

/* What the proxy knows of one sandbox, kept to re-add it after a restart. */
struct door {
        struct door *next;
        char id[RT_ID_LEN + 1];
        int fds[2]; /* borrowed from the runtime sandbox */
        json_t *msg;
};

static struct {
        struct event_base *base;
        struct egress_config cfg;
        char ca_dir[PATH_MAX], trust_dir[PATH_MAX], ca_cert[PATH_MAX + 16], proxy_path[PATH_MAX];
        char upstream_ca[PATH_MAX + 16]; /* the operator's bundle, copied where the proxy can read it */
        uid_t uid;
        gid_t gid;
        int ctl_fd;
        pid_t pid;
        struct event *ctl_ev, *respawn_ev;
        struct door *doors;
        unsigned restarts;
} eg = { .ctl_fd = -1, .pid = -1 };

const char *egress_trust_dir(void)
{
        return eg.trust_dir[0] ? eg.trust_dir : NULL;
}

const char *egress_ca_cert_path(void)
{
        return eg.ca_cert;
}

const char *egress_upstream_ca_path(void)
{
        return eg.upstream_ca[0] ? eg.upstream_ca : NULL;
}

/* ---- the trust bundle the sandboxes see ---- */

static int copy_into(int out, const char *path, struct al_error *err)
{
        char buf[65536];
        _cleanup_fd_ int in = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (in < 0)
                return al_error_set(err, errno, "open %s", path);
        while ((n = read(in, buf, sizeof(buf))) > 0) {
                int w = al_write_all(out, buf, (size_t)n);
                if (w < 0)
                        return al_error_set(err, -w, "write the copy of %s", path);
        }
        return n < 0 ? al_error_set(err, errno, "read %s", path) : 0;
}

/* <state>/trust/<image>/{ca-certificates.crt, extra/airlock-egress.crt}:
 * the image's bundle plus our CA, rebuilt at every start (atomically). */
static int trust_build(struct al_error *err)
{
        char path[PATH_MAX + 64], tmp[PATH_MAX + 80], image_bundle[PATH_MAX];
        int r;

        snprintf(eg.trust_dir, sizeof(eg.trust_dir), "%s/trust", eg.cfg.state_dir);
        (void)mkdir(eg.trust_dir, 0755);
        snprintf(eg.trust_dir, sizeof(eg.trust_dir), "%s/trust/%s", eg.cfg.state_dir, eg.cfg.image);
        snprintf(path, sizeof(path), "%s/extra", eg.trust_dir);
        if ((mkdir(eg.trust_dir, 0755) < 0 && errno != EEXIST) || (mkdir(path, 0755) < 0 && errno != EEXIST))
                return al_error_set(err, errno, "create %s", path);
        snprintf(image_bundle, sizeof(image_bundle), "%s/images/%s/rootfs/etc/ssl/certs/ca-certificates.crt",
                 eg.cfg.state_dir, eg.cfg.image);
        const char *files[][3] = { { "ca-certificates.crt", image_bundle, eg.ca_cert },
                                   { "extra/airlock-egress.crt", eg.ca_cert, NULL } };
        for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
                snprintf(path, sizeof(path), "%s/%s", eg.trust_dir, files[i][0]);
                snprintf(tmp, sizeof(tmp), "%s.tmp", path);
                _cleanup_fd_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd < 0)
                        return al_error_set(err, errno, "create %s", tmp);
                r = copy_into(fd, files[i][1], err);
                if (r >= 0 && files[i][2])
                        r = copy_into(fd, files[i][2], err);
                if (r < 0)
                        return r;
                if (fsync(fd) < 0 || rename(tmp, path) < 0)
                        return al_error_set(err, errno, "write %s", path);
        }
        return 0;
}

/* The CA's key belongs to the proxy's user and nobody else (0400 in a 0700
 * directory); airlockd only needs its certificate. */
static int ca_prepare(struct al_error *err)
{
        struct net_ca ca = { 0 };
        int r;

        snprintf(eg.ca_dir, sizeof(eg.ca_dir), "%s/egress-ca", eg.cfg.state_dir);
        if (mkdir(eg.ca_dir, 0700) < 0 && errno != EEXIST)
                return al_error_set(err, errno, "create %s", eg.ca_dir);
        if (chown(eg.ca_dir, eg.uid, eg.gid) < 0 || chmod(eg.ca_dir, 0700) < 0)
                return al_error_set(err, errno, "give %s to %s", eg.ca_dir, EGRESS_PROXY_USER);
        r = net_ca_load_or_create(&ca, eg.ca_dir, "Airlock egress CA", eg.uid, err);
        net_ca_release(&ca);
        snprintf(eg.ca_cert, sizeof(eg.ca_cert), "%s/ca.crt", eg.ca_dir);
        return r;
}

/* The operator's file may sit where the proxy's user cannot read it: the
 * proxy gets its own copy next to the CA, read at every start. */
static int upstream_ca_copy(struct al_error *err)
{
        char tmp[PATH_MAX + 32];

        if (!eg.cfg.upstream_ca)
                return 0;
        snprintf(eg.upstream_ca, sizeof(eg.upstream_ca), "%s/upstream-ca.pem", eg.ca_dir);
        snprintf(tmp, sizeof(tmp), "%s.tmp", eg.upstream_ca);
        (void)unlink(tmp);
        _cleanup_fd_ int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
        if (fd < 0)
                return al_error_set(err, errno, "create %s", tmp);
        int r = copy_into(fd, eg.cfg.upstream_ca, err);
        if (r < 0)
                return r;
        if (fchown(fd, eg.uid, eg.gid) < 0 || rename(tmp, eg.upstream_ca) < 0)
                return al_error_set(err, errno, "install %s", eg.upstream_ca);
        return 0;
}

/* ---- the proxy process ---- */

static void on_ctl(evutil_socket_t fd, short what, void *arg);

static void spawn_child(int ctl)
{
        char *argv[4 + 2 * 2 * EGRESS_MAX_OPTS + 4];
        int n = 0;

        argv[n++] = (char *)"airlock-proxy";
        argv[n++] = (char *)"--ca-dir";
        argv[n++] = eg.ca_dir;
        if (eg.upstream_ca[0]) {
                argv[n++] = (char *)"--upstream-ca";
                argv[n++] = eg.upstream_ca;
        }
        for (unsigned i = 0; i < eg.cfg.n_allow_addrs; i++) {
                argv[n++] = (char *)"--allow-addr";
                argv[n++] = (char *)eg.cfg.allow_addrs[i];
        }
        for (unsigned i = 0; i < eg.cfg.n_overrides; i++) {
                argv[n++] = (char *)"--override";
                argv[n++] = (char *)eg.cfg.overrides[i];
        }
        argv[n] = NULL;
        if (dup2(ctl, 3) < 0 || syscall(SYS_close_range, 4, ~0u, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
            setgroups(0, NULL) < 0 || setresgid(eg.gid, eg.gid, eg.gid) < 0 || setresuid(eg.uid, eg.uid, eg.uid) < 0 ||
            prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0) < 0)
                _exit(126);
        execv(eg.proxy_path, argv);
        _exit(127);
}

static int send_door(const struct door *d, struct al_error *err)
{
        return al_ctl_send(eg.ctl_fd, d->msg, d->fds, 2, err);
}

static int proxy_spawn(struct al_error *err)
{
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                return al_error_set(err, errno, "socketpair for airlock-proxy");
        pid_t pid = fork();
        if (pid < 0) {
                close(sv[0]);
                close(sv[1]);
                return al_error_set(err, errno, "fork airlock-proxy");
        }
        if (pid == 0)
                spawn_child(sv[1]);
        close(sv[1]);
        eg.pid = pid;
        eg.ctl_fd = sv[0];
        (void)fcntl(eg.ctl_fd, F_SETFL, O_NONBLOCK);
        eg.ctl_ev = event_new(eg.base, eg.ctl_fd, EV_READ | EV_PERSIST, on_ctl, NULL);
        if (!eg.ctl_ev || event_add(eg.ctl_ev, NULL) < 0)
                return al_error_setx(err, ENOMEM, "airlock-proxy control events");
        /* After a restart every live sandbox gets its door back. */
        for (struct door *d = eg.doors; d; d = d->next)
                if (send_door(d, err) < 0)
                        return -EIO;
        return 0;
}

static void proxy_gone(void)
{
        /* 0.2 s, doubling to 5 s while it keeps dying */
        unsigned ms = EGRESS_RESPAWN_MS << (eg.restarts < 5 ? eg.restarts : 5);
        struct timeval tv = { (ms > 5000 ? 5000 : ms) / 1000, ((ms > 5000 ? 5000 : ms) % 1000) * 1000 };

        if (eg.ctl_ev)
                event_free(eg.ctl_ev);
        eg.ctl_ev = NULL;
        if (eg.ctl_fd >= 0)
                close(eg.ctl_fd);
        eg.ctl_fd = -1;
        if (eg.pid > 0) {
                kill(eg.pid, SIGKILL);
                (void)waitpid(eg.pid, NULL, WNOHANG);
        }
        eg.pid = -1;
        eg.restarts++;
        char restarts[16];
        snprintf(restarts, sizeof(restarts), "%u", eg.restarts);
        al_log(AL_LOG_ERROR, "egress", "airlock-proxy exited; restarting it", "restarts", restarts, NULL);
        if (eg.respawn_ev)
                evtimer_add(eg.respawn_ev, &tv);
}

static void on_respawn(evutil_socket_t fd, short what, void *arg)
{
        struct al_error err = { 0 };

        if (proxy_spawn(&err) < 0) {
                al_log(AL_LOG_ERROR, "egress", "cannot restart airlock-proxy", "error", err.msg, NULL);
                proxy_gone();
        }
}

static void log_refusal(const char *id, json_t *rec)
{
        const char *decision = json_string_value(json_object_get(rec, "decision"));

        if (!decision || strcmp(decision, "deny") != 0)
                return;
        const char *name = json_string_value(json_object_get(rec, "name"));
        char port[24];
        snprintf(port, sizeof(port), "%lld", (long long)json_integer_value(json_object_get(rec, "port")));
        al_log(AL_LOG_INFO, "egress", "connection refused", "sandbox", id, "host",
               name && *name ? name : json_string_value(json_object_get(rec, "addr")), "port", port, "reason",
               json_string_value(json_object_get(rec, "reason")), NULL);
}

static void on_ctl(evutil_socket_t fd, short what, void *arg)
{
        for (;;) {
                int fds[AL_CTL_MAX_FDS];
                size_t nfds = 0;
                json_t *m = NULL;
                struct al_error err = { 0 };
                int r = al_ctl_recv(fd, &m, fds, &nfds, &err);
                for (size_t i = 0; i < nfds; i++)
                        close(fds[i]);
                if (r == -EAGAIN)
                        return;
                if (r < 0 || !m) {
                        proxy_gone();
                        return;
                }
                const char *op = json_string_value(json_object_get(m, "op"));
                const char *id = json_string_value(json_object_get(m, "id"));
                if (op && strcmp(op, "ready") == 0)
                        eg.restarts = 0;
                if (op && id && strcmp(op, "log") == 0) {
                        json_t *rec = json_object_get(m, "rec");
                        struct sbx *s = sbx_find(id);
                        log_refusal(id, rec);
                        api_metrics_egress(rec);
                        if (s && json_is_object(rec))
                                sbx_netlog_add(s, json_incref(rec));
                }
                json_decref(m);
        }
}

static int proxy_path(struct al_error *err)
{
        const char *env = getenv("AIRLOCK_PROXY");
        char self[PATH_MAX];
        ssize_t n;

        if (env) {
                snprintf(eg.proxy_path, sizeof(eg.proxy_path), "%s", env);
                return 0;
        }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0)
                return al_error_set(err, errno, "find airlockd's own path");
        self[n] = '\0';
        *strrchr(self, '/') = '\0';
        snprintf(eg.proxy_path, sizeof(eg.proxy_path), "%s/airlock-proxy", self);
        return 0;
}

int egress_start(struct event_base *base, const struct egress_config *cfg, struct al_error *err)
{
        struct passwd *pw = getpwnam(EGRESS_PROXY_USER);
        int r;

        eg.base = base;
        eg.cfg = *cfg;
        if (!pw)
                return al_error_setx(err, ENOENT,
                                     "user %s is missing: run scripts/deps.sh, or "
                                     "'useradd --system --no-create-home --shell /usr/sbin/nologin %s'",
                                     EGRESS_PROXY_USER, EGRESS_PROXY_USER);
        eg.uid = pw->pw_uid;
        eg.gid = pw->pw_gid;
        r = proxy_path(err);
        if (r >= 0)
                r = ca_prepare(err);
        if (r >= 0)
                r = upstream_ca_copy(err);
        if (r >= 0)
                r = trust_build(err);
        if (r < 0)
                return r;
        eg.respawn_ev = evtimer_new(base, on_respawn, NULL);
        if (!eg.respawn_ev)
                return al_error_setx(err, ENOMEM, "egress events");
        return proxy_spawn(err);
}

void egress_stop(void)
{
        while (eg.doors) {
                struct door *d = eg.doors;
                eg.doors = d->next;
                json_decref(d->msg);
                free(d);
        }
        if (eg.respawn_ev)
                event_free(eg.respawn_ev);
        eg.respawn_ev = NULL;
        if (eg.ctl_ev)
                event_free(eg.ctl_ev);
        eg.ctl_ev = NULL;
        if (eg.ctl_fd >= 0)
                close(eg.ctl_fd); /* the proxy exits when it sees end-of-file */
        eg.ctl_fd = -1;
        if (eg.pid > 0)
                (void)waitpid(eg.pid, NULL, 0);
        eg.pid = -1;
}

/* ---- per sandbox ---- */

static bool env_name_ok(const char *k)
{
        if (!*k || strlen(k) > EGRESS_MAX_SECRET_NAME || (*k >= '0' && *k <= '9'))
                return false;
        for (; *k; k++)
                if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_'))
                        return false;
        return true;
}

static int check_hosts(json_t *list, const char *what, struct al_error *err)
{
        struct net_policy p;
        size_t i;
        json_t *v;
        int r = 0;

        if (!json_is_array(list))
                return al_error_setx(err, EINVAL, "%s must be an array of strings", what);
        net_policy_init_none(&p);
        json_array_foreach (list, i, v) {
                if (!json_is_string(v)) {
                        r = al_error_setx(err, EINVAL, "%s must be an array of strings", what);
                        break;
                }
                r = net_policy_add(&p, json_string_value(v), err);
                if (r < 0) {
                        al_error_wrap(err, "%s", what);
                        break;
                }
        }
        net_policy_free(&p);
        return r;
}

static int secret_check(const char *name, json_t *s, json_t *out, struct al_error *err)
{
        json_t *hosts = json_object_get(s, "hosts"), *value = json_object_get(s, "value");
        char ph[NET_PLACEHOLDER_LEN + 1];
        char what[EGRESS_MAX_SECRET_NAME + 32];

        if (!env_name_ok(name))
                return al_error_setx(err, EINVAL, "secrets: '%.64s' is not a valid environment variable name", name);
        snprintf(what, sizeof(what), "secrets.%s.hosts", name);
        if (!json_is_object(s) || !json_is_string(value) ||
            json_string_length(value) != strlen(json_string_value(value)))
                return al_error_setx(err, EINVAL, "secrets.%s: needs a string 'value' and a 'hosts' array", name);
        if (!json_string_length(value) || json_string_length(value) > NET_SECRET_MAX_VALUE)
                return al_error_setx(err, EINVAL, "secrets.%s.value: 1 to %u bytes", name, NET_SECRET_MAX_VALUE);
        int r = check_hosts(hosts, what, err);
        if (r < 0)
                return r;
        if (!json_array_size(hosts))
                return al_error_setx(err, EINVAL, "%s: name at least one host", what);
        if (net_secret_placeholder_new(ph) < 0)
                return al_error_setx(err, EIO, "cannot make a placeholder");
        json_array_append_new(out, json_pack("{s:s, s:s, s:O, s:O}", "name", name, "placeholder", ph, "value", value,
                                             "hosts", hosts));
        return 0;
}

int egress_config_check(json_t *allow_net, json_t *secrets, json_t **ret_secrets, struct al_error *err)
{
        json_t *out = json_array(), *v;
        const char *k;
        int r = 0;

        *ret_secrets = NULL;
        if (allow_net && !json_is_null(allow_net))
                r = check_hosts(allow_net, "allow_net", err);
        if (r >= 0 && secrets && !json_is_null(secrets)) {
                if (!json_is_object(secrets) || json_object_size(secrets) > EGRESS_MAX_SECRETS)
                        r = al_error_setx(err, EINVAL, "secrets: an object of at most %d entries", EGRESS_MAX_SECRETS);
                json_object_foreach (secrets, k, v) {
                        if (r < 0)
                                break;
                        r = secret_check(k, v, out, err);
                }
        }
        if (r < 0) {
                json_decref(out);
                return r;
        }
        *ret_secrets = out;
        return 0;
}

int egress_add(const char *id, const struct rt_sandbox *sb, json_t *allow_net, json_t *secrets, struct al_error *err)
{
        struct door *d = calloc(1, sizeof(*d));

        if (!d)
                return al_error_setx(err, ENOMEM, "door");
        snprintf(d->id, sizeof(d->id), "%s", id);
        rt_sandbox_door_fds(sb, &d->fds[0], &d->fds[1]);
        d->msg = json_pack("{s:s, s:s, s:O?, s:O?}", "op", "add", "id", id, "allow_net",
                           json_is_null(allow_net) ? NULL : allow_net, "secrets", secrets);
        if (!d->msg) {
                free(d);
                return al_error_setx(err, ENOMEM, "door");
        }
        d->next = eg.doors;
        eg.doors = d;
        /* A proxy being restarted gets it with the others. */
        if (eg.ctl_fd >= 0 && send_door(d, err) < 0) {
                proxy_gone();
                return 0;
        }
        return 0;
}

void egress_del(const char *id)
{
        for (struct door **p = &eg.doors; *p; p = &(*p)->next) {
                struct door *d = *p;
                if (strcmp(d->id, id) != 0)
                        continue;
                *p = d->next;
                json_t *m = json_pack("{s:s, s:s}", "op", "del", "id", id);
                struct al_error err = { 0 };
                if (eg.ctl_fd >= 0 && m)
                        (void)al_ctl_send(eg.ctl_fd, m, NULL, 0, &err);
                json_decref(m);
                json_decref(d->msg);
                free(d);
                return;
        }
}
