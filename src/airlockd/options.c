/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "airlockd.h"
#include "common/parse.h"

void airlockd_usage(FILE *f)
{
        fputs("usage: airlockd [--state-dir DIR] COMMAND ...\n"
              "\n"
              "commands:\n"
              "  serve [--listen ADDR:PORT]      the API server (the default command;\n"
              "                                  default 127.0.0.1:8080)\n"
              "        [--expose-domain HOST[:PORT]] the domain exposed ports are named under\n"
              "                                  (default sandbox.localhost:<listen port>)\n"
              "        [--net-override NAME[:PORT]=ADDR[:PORT]]... resolve NAME to ADDR for sandboxes\n"
              "        [--net-allow-addr CIDR]...  let sandboxes reach this private/loopback range\n"
              "        [--upstream-ca FILE]        extra CAs the egress proxy trusts upstream\n"
              "        [--ssh-listen ADDR:PORT]    the SSH gateway (exposeSsh; default 127.0.0.1:2222)\n"
              "                                  (see docs/network.md)\n"
              "  run [OPTIONS] -- CMD [ARG...]   run CMD in a new sandbox, then remove it\n"
              "  image build [NAME]              build an image (default: \"default\")\n"
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

static int parse_size_opt(const char *name, const char *v, uint64_t min, uint64_t max,
                          uint64_t *ret, struct al_error *err)
{
        int r = al_parse_size(v, ret);
        if (r < 0)
                return al_error_setx(err, EINVAL, "--%s: '%s' is not a size (try 512M or 2G)", name, v);
        if (*ret < min || *ret > max)
                return al_error_setx(err, ERANGE, "--%s: %s is outside %lluM..%lluG", name, v,
                                     (unsigned long long)(min >> 20), (unsigned long long)(max >> 30));
        return 0;
}

static int parse_count_opt(const char *name, const char *v, uint64_t min, uint64_t max,
                           unsigned *ret, struct al_error *err)
{
        uint64_t n;
        if (al_parse_uint(v, min, max, &n) < 0)
                return al_error_setx(err, EINVAL, "--%s: '%s' is not a number in %llu..%llu", name,
                                     v, (unsigned long long)min, (unsigned long long)max);
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
                return parse_size_opt("memory", v, AL_MIN_MEMORY, AL_MAX_MEMORY,
                                      &o->limits.memory_bytes, err);
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
        o->limits = (struct rt_limits){ AL_DEFAULT_MEMORY, AL_DEFAULT_DISK, AL_DEFAULT_CPUS,
                                        AL_DEFAULT_PIDS };
        o->user = "app";
        optind = 0; /* full reset: this may be called more than once */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+it", run_options, NULL)) != -1) {
                if (c == '?')
                        return al_error_setx(err, EINVAL, "unknown or incomplete option '%s'",
                                             argv[optind - 1]);
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
                        return al_error_setx(err, EINVAL, "--expose-domain: '%s' is not a DNS name (letters, digits, "
                                                          "'-', dot-separated labels)", v);
        }
        const char *last = memrchr(v, '.', n);
        if (last && strspn(last + 1, "0123456789") == (size_t)(v + n - last - 1))
                return al_error_setx(err, EINVAL, "--expose-domain: '%.*s' is an address, not a DNS name", (int)n, v);
        if (labels < 2)
                return al_error_setx(err, EINVAL, "--expose-domain: '%.*s' needs two labels or more "
                                                  "(clients refuse a wildcard certificate for *.%.*s)",
                                     (int)n, v, (int)n, v);
        for (size_t i = 0; i < n; i++)
                ret_host[i] = (char)tolower((unsigned char)v[i]);
        ret_host[n] = '\0';
        *ret_port = (unsigned)port;
        return 0;
}
