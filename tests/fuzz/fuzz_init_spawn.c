/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_init's second unit: proc.c itself, so that its static spawn request
 * parser can run without the fork and exec that follow it in
 * init_proc_spawn(). Nothing here changes proc.c. */
#include "../../src/init/proc.c"

#include "fuzz_init.h"

int fuzz_init_spawn_parse(struct init_state *st, const uint8_t *json, size_t len)
{
        struct spawn_req rq = { 0 };
        json_t *root = NULL;
        char why[AL_MAX_ERRMSG] = "";
        int r = parse_request(st, json, len, &rq, &root, why, sizeof(why));

        /* what was accepted is what execve() would get: NULL-ended, '=' in each variable */
        if (r >= 0) {
                if (!rq.argv || !rq.argv[0] || !rq.envp)
                        __builtin_trap();
                for (char **e = rq.envp; *e; e++)
                        if (!strchr(*e, '='))
                                __builtin_trap();
        } else if (!why[0]) {
                __builtin_trap(); /* every refusal says why */
        }
        free_strv(rq.argv);
        free_strv(rq.envp);
        json_decref(root);
        return r;
}
