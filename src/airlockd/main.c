/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "airlockd.h"

int airlockd_check(int argc, char **argv); /* check.c: the host preflight (SEC-66) */

int main(int argc, char **argv)
{
        const char *state_dir = AIRLOCKD_DEFAULT_STATE_DIR;
        struct run_opts o = { 0 };
        struct al_error err = { 0 };
        int r;

        /* Global options before the command. */
        while (argc > 1 && strncmp(argv[1], "--state-dir", 11) == 0) {
                if (argv[1][11] == '=') {
                        state_dir = argv[1] + 12;
                        argc--, argv++;
                } else if (argc > 2) {
                        state_dir = argv[2];
                        argc -= 2, argv += 2;
                } else {
                        break;
                }
        }
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                airlockd_usage(stdout);
                return 0;
        }
        /* serve is the default command */
        if (argc < 2 || argv[1][0] == '-')
                return airlockd_serve(argc, argv, state_dir);
        if (strcmp(argv[1], "serve") == 0)
                return airlockd_serve(argc - 1, argv + 1, state_dir);
        if (strcmp(argv[1], "image") == 0)
                return airlockd_image(argc - 1, argv + 1, state_dir);
        if (strcmp(argv[1], "check") == 0)
                return airlockd_check(argc - 1, argv + 1);
        if (strcmp(argv[1], "run") != 0) {
                fprintf(stderr, "airlockd: unknown command '%s' (see 'airlockd --help')\n", argv[1]);
                return 2;
        }
        o.state_dir = state_dir;
        if (airlockd_parse_run(argc - 1, argv + 1, &o, &err) < 0) {
                fprintf(stderr, "airlockd: %s\n", err.msg);
                return 125;
        }
        r = airlockd_run(&o);
        airlockd_run_opts_free(&o);
        return r;
}
