/* SPDX-License-Identifier: Apache-2.0 */
/* airlock-proxy: started by airlockd, already as its own unprivileged user,
 * with one control socket (fd 3). Control messages (common/ctlmsg.h):
 *   airlockd -> proxy  {"op":"add","id":ID,"allow_net":[..]|null,
 *                       "secrets":[{"placeholder","value","hosts":[..]}]} + door fds
 *                      {"op":"del","id":ID}
 *   proxy -> airlockd  {"op":"ready"}, {"op":"log","id":ID,"rec":{..}}
 * The proxy exits when the control socket closes. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/ctlmsg.h"
#include "proxy.h"
#include "runtime/selfconfine.h"

#define PX_CTL_FD 3

struct px px;

static void logf_(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(const char *level, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, "level=%s component=proxy msg=\"", level);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputs("\"\n", stderr);
}

void px_log_record(const struct px_sandbox *sb, json_t *rec)
{
        json_t *m = json_pack("{s:s, s:s, s:o}", "op", "log", "id", sb->id, "rec", rec);
        struct al_error err = { 0 };

        if (m && al_ctl_send(px.ctl_fd, m, NULL, 0, &err) < 0)
                logf_("warn", "%s", err.msg);
        json_decref(m);
}

int px_secrets_for(const struct px_sandbox *sb, const char *name, struct net_secret **ret, size_t *ret_n)
{
        size_t n = 0;

        *ret = NULL;
        *ret_n = 0;
        for (size_t i = 0; i < sb->n_secrets; i++)
                if (net_policy_allows_name(&sb->secret_hosts[i], name, 0))
                        n++;
        if (!n)
                return 0;
        struct net_secret *v = calloc(n, sizeof(*v));
        if (!v)
                return -ENOMEM;
        n = 0;
        for (size_t i = 0; i < sb->n_secrets; i++)
                if (net_policy_allows_name(&sb->secret_hosts[i], name, 0))
                        v[n++] = sb->secrets[i];
        *ret = v;
        *ret_n = n;
        return 0;
}

static struct px_sandbox *sandbox_find(const char *id, struct px_sandbox ***ret_link)
{
        struct px_sandbox **p = &px.sandboxes;

        for (; *p; p = &(*p)->next)
                if (strcmp((*p)->id, id) == 0)
                        break;
        if (ret_link)
                *ret_link = p;
        return *p;
}

static void sandbox_free(struct px_sandbox *sb)
{
        px_conn_close_all(sb);
        if (sb->accept_ev)
                event_free(sb->accept_ev);
        if (sb->dns_ev)
                event_free(sb->dns_ev);
        if (sb->accept_pause)
                event_free(sb->accept_pause);
        if (sb->listen_fd >= 0)
                close(sb->listen_fd);
        if (sb->dns_fd >= 0)
                close(sb->dns_fd);
        net_policy_free(&sb->policy);
        for (size_t i = 0; i < sb->n_secrets; i++) {
                net_secret_clear(&sb->secrets[i]);
                net_policy_free(&sb->secret_hosts[i]);
        }
        free(sb->secrets);
        free(sb->secret_hosts);
        px_names_free(&sb->names);
        free(sb);
}

static int policy_from_json(struct net_policy *p, json_t *list, bool absent_is_any, struct al_error *err)
{
        size_t i;
        json_t *v;

        if (!list || json_is_null(list)) {
                if (absent_is_any)
                        net_policy_init_any(p);
                else
                        net_policy_init_none(p);
                return 0;
        }
        net_policy_init_none(p);
        json_array_foreach (list, i, v) {
                int r = net_policy_add(p, json_string_value(v) ? json_string_value(v) : "", err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int secrets_from_json(struct px_sandbox *sb, json_t *list, struct al_error *err)
{
        size_t n = json_array_size(list), i;
        json_t *v;

        if (n > PX_MAX_SECRETS)
                return al_error_setx(err, E2BIG, "too many secrets");
        if (!n)
                return 0;
        sb->secrets = calloc(n, sizeof(*sb->secrets));
        sb->secret_hosts = calloc(n, sizeof(*sb->secret_hosts));
        if (!sb->secrets || !sb->secret_hosts)
                return al_error_setx(err, ENOMEM, "secrets");
        json_array_foreach (list, i, v) {
                const char *ph = json_string_value(json_object_get(v, "placeholder"));
                const char *val = json_string_value(json_object_get(v, "value"));
                json_t *hosts = json_object_get(v, "hosts");
                if (!ph || !val || !json_is_array(hosts) || net_secret_set(&sb->secrets[i], ph, val, err) < 0)
                        return al_error_setx(err, EINVAL, "bad secret");
                sb->n_secrets = i + 1;
                int r = policy_from_json(&sb->secret_hosts[i], hosts, false, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void on_accept_resume(evutil_socket_t fd, short what, void *arg)
{
        struct px_sandbox *sb = arg;

        event_add(sb->accept_ev, NULL);
}

static int sandbox_add(json_t *m, const int *fds, size_t nfds, struct al_error *err)
{
        const char *id = json_string_value(json_object_get(m, "id"));
        struct px_sandbox *sb;
        int r;

        if (!id || nfds != 2 || strlen(id) >= sizeof(sb->id))
                return al_error_setx(err, EINVAL, "bad add message");
        if (sandbox_find(id, NULL))
                return al_error_setx(err, EEXIST, "sandbox %s added twice", id);
        sb = calloc(1, sizeof(*sb));
        if (!sb)
                return al_error_setx(err, ENOMEM, "sandbox");
        snprintf(sb->id, sizeof(sb->id), "%s", id);
        sb->listen_fd = fds[0];
        sb->dns_fd = fds[1];
        r = px_names_init(&sb->names) < 0 ? al_error_setx(err, ENOMEM, "names") : 0;
        if (r >= 0)
                r = policy_from_json(&sb->policy, json_object_get(m, "allow_net"), true, err);
        if (r >= 0)
                r = secrets_from_json(sb, json_object_get(m, "secrets"), err);
        if (r >= 0) {
                sb->accept_ev = event_new(px.base, sb->listen_fd, EV_READ | EV_PERSIST, px_conn_on_accept, sb);
                sb->dns_ev = event_new(px.base, sb->dns_fd, EV_READ | EV_PERSIST, px_dns_on_query, sb);
                sb->accept_pause = evtimer_new(px.base, on_accept_resume, sb);
                if (!sb->accept_ev || !sb->dns_ev || !sb->accept_pause || event_add(sb->accept_ev, NULL) < 0 ||
                    event_add(sb->dns_ev, NULL) < 0)
                        r = al_error_setx(err, ENOMEM, "events");
        }
        if (r < 0) {
                /* Fail closed: the door stays shut (its sockets close). */
                sandbox_free(sb);
                return r;
        }
        sb->next = px.sandboxes;
        px.sandboxes = sb;
        return 0;
}

static void sandbox_del(json_t *m)
{
        struct px_sandbox **link;
        const char *id = json_string_value(json_object_get(m, "id"));
        struct px_sandbox *sb = id ? sandbox_find(id, &link) : NULL;

        if (!sb)
                return;
        *link = sb->next;
        sandbox_free(sb);
}

static void on_ctl(evutil_socket_t fd, short what, void *arg)
{
        int fds[AL_CTL_MAX_FDS];
        size_t nfds = 0;
        json_t *m = NULL;
        struct al_error err = { 0 };
        int r = al_ctl_recv(fd, &m, fds, &nfds, &err);

        if (r == -EAGAIN)
                return;
        if (r == 0 && !m) { /* airlockd went away: so do we */
                event_base_loopbreak(px.base);
                return;
        }
        if (r < 0) {
                logf_("warn", "%s", err.msg);
                return;
        }
        const char *op = json_string_value(json_object_get(m, "op"));
        if (op && strcmp(op, "add") == 0) {
                if (sandbox_add(m, fds, nfds, &err) < 0)
                        logf_("warn", "add sandbox: %s", err.msg);
                nfds = 0; /* taken, or closed by sandbox_free */
        } else if (op && strcmp(op, "del") == 0) {
                sandbox_del(m);
        } else {
                logf_("warn", "unknown control message");
        }
        for (size_t i = 0; i < nfds; i++)
                close(fds[i]);
        json_decref(m);
}

static int parse_args(int argc, char **argv, struct al_error *err)
{
        static const struct option opts[] = {
                { "ca-dir", required_argument, NULL, 'c' },
                { "upstream-ca", required_argument, NULL, 'u' },
                { "allow-addr", required_argument, NULL, 'a' },
                { "override", required_argument, NULL, 'o' },
                { NULL, 0, NULL, 0 },
        };
        int o, r = 0;

        while (r >= 0 && (o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (o) {
                case 'c':
                        px.cfg.ca_dir = optarg;
                        break;
                case 'u':
                        px.cfg.upstream_ca = optarg;
                        break;
                case 'a':
                        r = net_cidr_list_add(&px.cfg.allowed, optarg, err);
                        break;
                case 'o':
                        r = net_override_list_add(&px.cfg.overrides, optarg, err);
                        break;
                default:
                        return al_error_setx(err, EINVAL, "bad arguments");
                }
        }
        return r;
}

static int tls_setup(struct al_error *err)
{
        int r;

        if (!px.cfg.ca_dir)
                return 0; /* no interception: secrets stay placeholders everywhere */
        r = net_ca_load_or_create(&px.ca, px.cfg.ca_dir, "Airlock egress CA", (uid_t)-1, err);
        if (r < 0)
                return r;
        px.minter = net_minter_new(&px.ca);
        px.client_ctx = net_tls_client_ctx_new(px.cfg.upstream_ca, err);
        if (!px.minter || !px.client_ctx)
                return al_error_setx(err, EIO, "TLS setup failed");
        return 0;
}

int main(int argc, char **argv)
{
        struct al_error err = { 0 };
        json_t *ready;

        signal(SIGPIPE, SIG_IGN);
        /* Two descriptors per connection, up to PX_MAX_CONNS per sandbox:
         * take every descriptor the hard limit allows. */
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
                nofile.rlim_cur = nofile.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &nofile);
        }
        if (geteuid() == 0) {
                fprintf(stderr, "airlock-proxy: refusing to run as root; airlockd starts it as its own user\n");
                return 2;
        }
        px.ctl_fd = PX_CTL_FD;
        if (parse_args(argc, argv, &err) < 0 || tls_setup(&err) < 0) {
                logf_("error", "%s", err.msg);
                return 1;
        }
        px.base = event_base_new();
        px.dns = px.base ? evdns_base_new(px.base, EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE)
                         : NULL;
        if (!px.dns) { /* no usable resolv.conf: names resolve only by override */
                px.dns = px.base ? evdns_base_new(px.base, 0) : NULL;
        }
        if (!px.base || !px.dns)
                return 1;
        evdns_base_set_option(px.dns, "timeout:", "3");
        evdns_base_set_option(px.dns, "attempts:", "2");
        px.ctl_ev = event_new(px.base, px.ctl_fd, EV_READ | EV_PERSIST, on_ctl, NULL);
        if (!px.ctl_ev || event_add(px.ctl_ev, NULL) < 0)
                return 1;
        /* Everything is open that will be: give up the rest before the
         * first byte from a sandbox arrives. */
        if (rt_self_confine(&err) < 0) {
                logf_("error", "%s", err.msg);
                return 1;
        }
        ready = json_pack("{s:s}", "op", "ready");
        if (al_ctl_send(px.ctl_fd, ready, NULL, 0, &err) < 0) {
                logf_("error", "%s", err.msg);
                return 1;
        }
        json_decref(ready);
        event_base_dispatch(px.base);
        while (px.sandboxes) {
                struct px_sandbox *sb = px.sandboxes;
                px.sandboxes = sb->next;
                sandbox_free(sb);
        }
        return 0;
}
