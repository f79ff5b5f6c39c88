/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"
#include "runtime/runtime.h"

#define AIRLOCKD_DEFAULT_STATE_DIR "/var/lib/airlock"
#define AIRLOCKD_DEFAULT_MAX_SANDBOXES 256

struct run_opts {
        const char *state_dir;
        const char *image;
        struct rt_limits limits;
        enum rt_profile profile;
        const char *user;
        const char *workdir;
        const char **env; /* KEY=VALUE, count in n_env */
        int n_env;
        bool interactive;
        bool tty;
        char **argv; /* the command, NULL-terminated */
};

/* options.c: parse "run" arguments (argv[0] is "run"). Pure, unit-tested. */
int airlockd_parse_run(int argc, char **argv, struct run_opts *ret, struct al_error *err);
void airlockd_run_opts_free(struct run_opts *o);
/* serve --expose-domain HOST[:PORT]: a DNS name of two labels or more (a
 * wildcard certificate covers its subdomains), written lower-cased to
 * ret_host; *ret_port is 0 without a port. Pure, unit-tested. */
#define AIRLOCKD_EXPOSE_HOST_MAX 190
int airlockd_parse_expose_domain(const char *v, char ret_host[AIRLOCKD_EXPOSE_HOST_MAX + 1], unsigned *ret_port,
                                 struct al_error *err);
void airlockd_usage(FILE *f);

/* --- the config file (options.c) --- */
#define AIRLOCKD_CONF_PATH "/etc/airlock/airlockd.conf"
struct option;
struct airlockd_conf {
        char **argv; /* the file's settings as "--key=value" or "--key", each malloc'd */
        int argc;
        char **merged; /* argv[0], the file's settings, then the command line's (which win) */
};
/* Pure: "key = value" lines ('#' comments, blank lines) to flags. A key is
 * a long option of opts without its dashes; only those in repeatable (NULL-
 * terminated) may repeat; a flag without an argument takes true or false.
 * Errors name path:line. Unit-tested and fuzzed. */
int airlockd_conf_parse(const char *text, size_t len, const char *path, const struct option *opts,
                        const char *const *repeatable, struct airlockd_conf *ret, struct al_error *err);
/* Reads --config FILE (which must exist) or else default_path (if it
 * exists), and points argc and argv at the merged flags, owned by c. */
int airlockd_conf_apply(int *argc, char ***argv, const char *default_path, const struct option *opts,
                        const char *const *repeatable, struct airlockd_conf *c, struct al_error *err);
void airlockd_conf_free(struct airlockd_conf *c);
/* --- end of the config file --- */

/* run.c */
int airlockd_run(const struct run_opts *o);
int airlockd_init_path(char *buf, size_t len);
/* serve.c */
int airlockd_serve(int argc, char **argv, const char *state_dir);
/* image.c */
int airlockd_image(int argc, char **argv, const char *state_dir);
