/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "airlockd.h"
#include "common/cleanup.h"
#include "common/parse.h"

void airlockd_usage(FILE *f)
{
        fputs("usage: airlockd [--state-dir DIR] COMMAND ...\n"
              "\n"
              "commands:\n"
              "  serve [OPTIONS]                 the API server (the default command)\n"
              "  run [OPTIONS] -- CMD [ARG...]   run CMD in a new sandbox, then remove it\n"
              "  image build [NAME]              build an image (default: \"default\")\n"
              "  check                           report what of this host matters to Airlock's\n"
              "                                  isolation (kernel, sysctls, cgroups, Landlock)\n"
              "\n"
              "serve options (each also a key of /etc/airlock/airlockd.conf, see airlockd(8)):\n"
              "  --listen ADDR:PORT          the API's address (default 127.0.0.1:8080)\n"
              "  --state-dir DIR             state directory (default /var/lib/airlock)\n"
              "  --image NAME                image new sandboxes boot (default: default)\n"
              "  --profile P                 default or strict (no privileges in sandboxes)\n"
              "  --tls-cert FILE             PEM certificate chain: serve HTTPS (with --tls-key)\n"
              "  --tls-key FILE              its PEM private key\n"
              "  --max-sandboxes N           live sandboxes at once (default 256)\n"
              "  --expose-domain HOST[:PORT] the domain exposed ports are named under\n"
              "                              (default sandbox.localhost:<listen port>)\n"
              "  --net-override NAME[:PORT]=ADDR[:PORT]  resolve NAME to ADDR for sandboxes\n"
              "                              (repeatable; see docs/network.md)\n"
              "  --net-allow-addr CIDR       let sandboxes reach this private/loopback range\n"
              "                              (repeatable)\n"
              "  --upstream-ca FILE          extra CAs the egress proxy trusts upstream\n"
              "  --ssh-listen ADDR:PORT      the SSH gateway (exposeSsh; default 127.0.0.1:2222)\n"
              "  --stop-sandboxes-on-exit    SIGTERM stops the sandboxes too (default: they\n"
              "                              keep running for the next start to adopt)\n"
              "  --adopt-grace SECONDS       how long an adopted session sandbox waits for its\n"
              "                              client to come back (1..86400, default 60)\n"
              "  --log-format logfmt|json    one line per event on stderr (default logfmt)\n"
              "  --log-level LEVEL           debug, info, warn or error (default info)\n"
              "  --config FILE               read FILE instead of /etc/airlock/airlockd.conf\n"
              "                              (flags on the command line win over the file)\n"
              "\n"
              "run options:\n"
              "  --image NAME        image to boot (default: default)\n"
              "  --memory SIZE       memory limit, e.g. 512M, 2G (default 512M)\n"
              "  --cpus N            vCPUs as a CPU quota (default 2)\n"
              "  --disk SIZE         writable disk size (default 10G)\n"
              "  --pids N            process limit (default 1024)\n"
              "  --env K=V           set an environment variable (repeatable)\n"
              "  --workdir DIR       working directory (default: the user's home)\n"
              "  --user app|root     user to run as (default app)\n"
              "  --profile P         default (sudo works) or strict (no privileges at all)\n"
              "  -i, --interactive   attach stdin\n"
              "  -t, --tty           allocate a terminal\n"
              "\n"
              "The exit status is CMD's, 128+N when it was killed by signal N, 137 with\n"
              "\"out of memory\" when the memory limit killed it.\n",
              f);
}

enum {
        OPT_IMAGE = 1000,
        OPT_MEMORY,
        OPT_CPUS,
        OPT_DISK,
        OPT_PIDS,
        OPT_ENV,
        OPT_WORKDIR,
        OPT_USER,
        OPT_PROFILE,
        OPT_STATE_DIR,
};

static const struct option run_options[] = {
        { "image", required_argument, NULL, OPT_IMAGE },
        { "memory", required_argument, NULL, OPT_MEMORY },
        { "cpus", required_argument, NULL, OPT_CPUS },
        { "disk", required_argument, NULL, OPT_DISK },
        { "pids", required_argument, NULL, OPT_PIDS },
        { "env", required_argument, NULL, OPT_ENV },
        { "workdir", required_argument, NULL, OPT_WORKDIR },
        { "user", required_argument, NULL, OPT_USER },
        { "profile", required_argument, NULL, OPT_PROFILE },
        { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "interactive", no_argument, NULL, 'i' },
        { "tty", no_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
};

static int parse_size_opt(const char *name, const char *v, uint64_t min, uint64_t max, uint64_t *ret,
                          struct al_error *err)
{
        int r = al_parse_size(v, ret);
        if (r < 0)
                return al_error_setx(err, EINVAL, "--%s: '%s' is not a size (try 512M or 2G)", name, v);
        if (*ret < min || *ret > max)
                return al_error_setx(err, ERANGE, "--%s: %s is outside %lluM..%lluG", name, v,
                                     (unsigned long long)(min >> 20), (unsigned long long)(max >> 30));
        return 0;
}

static int parse_count_opt(const char *name, const char *v, uint64_t min, uint64_t max, unsigned *ret,
                           struct al_error *err)
{
        uint64_t n;
        if (al_parse_uint(v, min, max, &n) < 0)
                return al_error_setx(err, EINVAL, "--%s: '%s' is not a number in %llu..%llu", name, v,
                                     (unsigned long long)min, (unsigned long long)max);
        *ret = (unsigned)n;
        return 0;
}

static int add_env(struct run_opts *o, const char *v, struct al_error *err)
{
        const char **e;

        if (al_parse_env_assignment(v) < 0)
                return al_error_setx(err, EINVAL, "--env: '%s' is not KEY=VALUE", v);
        if (o->n_env >= AL_MAX_ENV)
                return al_error_setx(err, E2BIG, "--env: at most %d variables", AL_MAX_ENV);
        e = realloc(o->env, sizeof(*e) * (size_t)(o->n_env + 1));
        if (!e)
                return al_error_set(err, ENOMEM, "--env");
        o->env = e;
        o->env[o->n_env++] = v;
        return 0;
}

static int parse_one(struct run_opts *o, int c, const char *v, struct al_error *err)
{
        switch (c) {
        case OPT_IMAGE:
                o->image = v;
                return 0;
        case OPT_MEMORY:
                return parse_size_opt("memory", v, AL_MIN_MEMORY, AL_MAX_MEMORY, &o->limits.memory_bytes, err);
        case OPT_DISK:
                return parse_size_opt("disk", v, AL_MIN_DISK, AL_MAX_DISK, &o->limits.disk_bytes, err);
        case OPT_CPUS:
                return parse_count_opt("cpus", v, 1, AL_MAX_CPUS, &o->limits.cpus, err);
        case OPT_PIDS:
                return parse_count_opt("pids", v, AL_MIN_PIDS, AL_MAX_PIDS, &o->limits.pids, err);
        case OPT_ENV:
                return add_env(o, v, err);
        case OPT_WORKDIR:
                if (v[0] != '/')
                        return al_error_setx(err, EINVAL, "--workdir: '%s' is not an absolute path", v);
                o->workdir = v;
                return 0;
        case OPT_USER:
                if (strcmp(v, "app") != 0 && strcmp(v, "root") != 0)
                        return al_error_setx(err, EINVAL, "--user: '%s' is neither app nor root", v);
                o->user = v;
                return 0;
        case OPT_PROFILE:
                if (strcmp(v, "default") == 0)
                        o->profile = RT_PROFILE_DEFAULT;
                else if (strcmp(v, "strict") == 0)
                        o->profile = RT_PROFILE_STRICT;
                else
                        return al_error_setx(err, EINVAL, "--profile: '%s' is neither default nor strict", v);
                return 0;
        case OPT_STATE_DIR:
                o->state_dir = v;
                return 0;
        case 'i':
                o->interactive = true;
                return 0;
        case 't':
                o->tty = true;
                return 0;
        default:
                return al_error_setx(err, EINVAL, "unknown option (see 'airlockd --help')");
        }
}

int airlockd_parse_run(int argc, char **argv, struct run_opts *o, struct al_error *err)
{
        int c, r;

        if (!o->state_dir)
                o->state_dir = AIRLOCKD_DEFAULT_STATE_DIR;
        o->image = "default";
        o->limits = (struct rt_limits){ AL_DEFAULT_MEMORY, AL_DEFAULT_DISK, AL_DEFAULT_CPUS, AL_DEFAULT_PIDS };
        o->user = "app";
        optind = 0; /* full reset: this may be called more than once */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+it", run_options, NULL)) != -1) {
                if (c == '?')
                        return al_error_setx(err, EINVAL, "unknown or incomplete option '%s'", argv[optind - 1]);
                r = parse_one(o, c, optarg, err);
                if (r < 0)
                        return r;
        }
        if (optind >= argc)
                return al_error_setx(err, EINVAL, "run: no command given (airlockd run -- CMD)");
        if (o->profile == RT_PROFILE_STRICT && strcmp(o->user, "root") == 0)
                return al_error_setx(err, EINVAL, "--user root: the strict profile has no root");
        o->argv = argv + optind;
        return 0;
}

void airlockd_run_opts_free(struct run_opts *o)
{
        free(o->env);
        o->env = NULL;
        o->n_env = 0;
}

static bool dns_label_ok(const char *l, size_t n)
{
        if (n == 0 || n > 63 || l[0] == '-' || l[n - 1] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)l[i]) && l[i] != '-')
                        return false;
        return true;
}

int airlockd_parse_expose_domain(const char *v, char ret_host[AIRLOCKD_EXPOSE_HOST_MAX + 1], unsigned *ret_port,
                                 struct al_error *err)
{
        const char *colon = strchr(v, ':');
        size_t n = colon ? (size_t)(colon - v) : strlen(v), labels = 0;
        uint64_t port = 0;

        if (colon && al_parse_uint(colon + 1, 1, 65535, &port) < 0)
                return al_error_setx(err, EINVAL, "--expose-domain: '%s' has no port in 1..65535 after its ':'", v);
        if (n == 0 || n > AIRLOCKD_EXPOSE_HOST_MAX)
                return al_error_setx(err, EINVAL, "--expose-domain: '%s' is not HOST[:PORT] with a host of 1..%d bytes",
                                     v, AIRLOCKD_EXPOSE_HOST_MAX);
        for (size_t start = 0, end; start <= n; start = end + 1, labels++) {
                end = start;
                while (end < n && v[end] != '.')
                        end++;
                if (!dns_label_ok(v + start, end - start))
                        return al_error_setx(err, EINVAL,
                                             "--expose-domain: '%s' is not a DNS name (letters, digits, "
                                             "'-', dot-separated labels)",
                                             v);
        }
        const char *last = memrchr(v, '.', n);
        if (last && strspn(last + 1, "0123456789") == (size_t)(v + n - last - 1))
                return al_error_setx(err, EINVAL, "--expose-domain: '%.*s' is an address, not a DNS name", (int)n, v);
        if (labels < 2)
                return al_error_setx(err, EINVAL,
                                     "--expose-domain: '%.*s' needs two labels or more "
                                     "(clients refuse a wildcard certificate for *.%.*s)",
                                     (int)n, v, (int)n, v);
        for (size_t i = 0; i < n; i++)
                ret_host[i] = (char)tolower((unsigned char)v[i]);
        ret_host[n] = '\0';
        *ret_port = (unsigned)port;
        return 0;
}

/* --- the config file ------------------------------------------------------ */

void airlockd_conf_free(struct airlockd_conf *c)
{
        for (int i = 0; i < c->argc; i++)
                free(c->argv[i]);
        free(c->argv);
        free(c->merged);
        *c = (struct airlockd_conf){ 0 };
}

static char *trim(char *s, char *end)
{
        while (s < end && (*s == ' ' || *s == '\t'))
                s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                *--end = '\0';
        *end = '\0';
        return s;
}

static const struct option *conf_option(const struct option *opts, const char *key)
{
        for (const struct option *o = opts; o->name; o++)
                if (strcmp(o->name, key) == 0)
                        return o;
        return NULL;
}

static bool conf_repeatable(const char *const *repeatable, const char *key)
{
        for (; repeatable && *repeatable; repeatable++)
                if (strcmp(*repeatable, key) == 0)
                        return true;
        return false;
}

static int conf_push(struct airlockd_conf *c, char *entry, const char *path, unsigned line, struct al_error *err)
{
        char **a;

        if (!entry)
                return al_error_set(err, ENOMEM, "%s:%u", path, line);
        if (c->argc >= AL_CONF_MAX_ENTRIES) {
                free(entry);
                return al_error_setx(err, E2BIG, "%s:%u: more than %u settings", path, line, AL_CONF_MAX_ENTRIES);
        }
        a = realloc(c->argv, sizeof(*a) * (size_t)(c->argc + 2));
        if (!a) {
                free(entry);
                return al_error_set(err, ENOMEM, "%s:%u", path, line);
        }
        c->argv = a;
        a[c->argc++] = entry;
        a[c->argc] = NULL;
        return 0;
}

/* A flag without an argument is a boolean in the file. */
static int conf_bool(const char *v, bool *ret)
{
        static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };

        for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
                if (strcmp(v, yes[i]) == 0)
                        return *ret = true, 0;
                if (strcmp(v, no[i]) == 0)
                        return *ret = false, 0;
        }
        return -EINVAL;
}

static int conf_line(char *s, const char *path, unsigned line, const struct option *opts, const char *const *repeatable,
                     struct airlockd_conf *c, struct al_error *err)
{
        char *eq = strchr(s, '='), *key, *val, *entry = NULL;
        const struct option *o;
        size_t n;
        bool on;

        if (!eq)
                return al_error_setx(err, EINVAL, "%s:%u: expected 'key = value' or a '#' comment", path, line);
        *eq = '\0';
        key = trim(s, eq);
        val = trim(eq + 1, eq + 1 + strlen(eq + 1));
        /* quotes keep a value's outer spaces; there are no escapes */
        n = strlen(val);
        if (n >= 2 && val[0] == '"' && val[n - 1] == '"')
                val[n - 1] = '\0', val++;
        o = conf_option(opts, key);
        if (!*key || !o || strcmp(key, "config") == 0)
                return al_error_setx(err, EINVAL,
                                     "%s:%u: unknown key '%.64s' (keys are the flags of airlockd "
                                     "serve without their dashes; see airlockd(8))",
                                     path, line, key);
        n = strlen(key);
        for (int i = 0; i < c->argc && !conf_repeatable(repeatable, key); i++)
                if (strncmp(c->argv[i] + 2, key, n) == 0 && (c->argv[i][2 + n] == '=' || !c->argv[i][2 + n]))
                        return al_error_setx(err, EINVAL,
                                             "%s:%u: '%s' is set twice (only repeatable flags "
                                             "repeat)",
                                             path, line, key);
        if (o->has_arg == no_argument) {
                if (conf_bool(val, &on) < 0)
                        return al_error_setx(err, EINVAL, "%s:%u: %s: '%.64s' is neither true nor false", path, line,
                                             key, val);
                if (!on)
                        return 0;
                return conf_push(c, asprintf(&entry, "--%s", key) < 0 ? NULL : entry, path, line, err);
        }
        if (!*val)
                return al_error_setx(err, EINVAL, "%s:%u: %s has no value", path, line, key);
        return conf_push(c, asprintf(&entry, "--%s=%s", key, val) < 0 ? NULL : entry, path, line, err);
}

int airlockd_conf_parse(const char *text, size_t len, const char *path, const struct option *opts,
                        const char *const *repeatable, struct airlockd_conf *ret, struct al_error *err)
{
        char buf[AL_CONF_MAX_LINE + 1];
        unsigned line = 0;
        int r;

        if (len > AL_CONF_MAX_BYTES)
                return al_error_setx(err, EFBIG, "%s: larger than %u bytes", path, AL_CONF_MAX_BYTES);
        if (len && memchr(text, '\0', len))
                return al_error_setx(err, EINVAL, "%s: has a NUL byte: not a text file", path);
        for (size_t off = 0; off < len;) {
                const char *nl = memchr(text + off, '\n', len - off);
                size_t n = (nl ? (size_t)(nl - text) : len) - off;
                line++;
                if (n > AL_CONF_MAX_LINE)
                        return al_error_setx(err, E2BIG, "%s:%u: longer than %u bytes", path, line, AL_CONF_MAX_LINE);
                memcpy(buf, text + off, n);
                off += n + 1;
                char *s = trim(buf, buf + n);
                if (!*s || *s == '#')
                        continue;
                r = conf_line(s, path, line, opts, repeatable, ret, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --config FILE or --config=FILE among serve's flags (before a "--"). */
static int conf_find(int argc, char **argv, const char **ret, struct al_error *err)
{
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (strncmp(argv[i], "--config=", 9) == 0) {
                        *ret = argv[i] + 9;
                } else if (strcmp(argv[i], "--config") == 0) {
                        if (i + 1 >= argc)
                                return al_error_setx(err, EINVAL, "--config: no file given");
                        *ret = argv[++i];
                }
        }
        return 0;
}

static int conf_read(const char *path, char **ret, size_t *ret_len, struct al_error *err)
{
        _cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        ssize_t n;

        if (fd < 0)
                return al_error_set(err, errno, "open %s", path);
        text = malloc(AL_CONF_MAX_BYTES + 1);
        if (!text)
                return al_error_set(err, ENOMEM, "read %s", path);
        while (len <= AL_CONF_MAX_BYTES && (n = read(fd, text + len, AL_CONF_MAX_BYTES + 1 - len)) != 0) {
                if (n < 0 && errno != EINTR)
                        return al_error_set(err, errno, "read %s", path);
                len += n > 0 ? (size_t)n : 0;
        }
        *ret = TAKE_PTR(text);
        *ret_len = len;
        return 0;
}

int airlockd_conf_apply(int *argc, char ***argv, const char *default_path, const struct option *opts,
                        const char *const *repeatable, struct airlockd_conf *c, struct al_error *err)
{
        const char *path = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = conf_find(*argc, *argv, &path, err);

        if (r < 0)
                return r;
        if (!path && access(default_path, F_OK) < 0)
                return 0; /* no file, and none asked for */
        if (!path)
                path = default_path;
        r = conf_read(path, &text, &len, err);
        if (r < 0)
                return r;
        r = airlockd_conf_parse(text, len, path, opts, repeatable, c, err);
        if (r < 0)
                return r;
        /* the file's settings first: the command line's own come later and win */
        c->merged = calloc((size_t)*argc + (size_t)c->argc + 1, sizeof(char *));
        if (!c->merged)
                return al_error_set(err, ENOMEM, "%s", path);
        c->merged[0] = (*argv)[0];
        memcpy(c->merged + 1, c->argv, sizeof(char *) * (size_t)c->argc);
        memcpy(c->merged + 1 + c->argc, *argv + 1, sizeof(char *) * (size_t)(*argc - 1));
        *argc += c->argc;
        *argv = c->merged;
        return 0;
}
