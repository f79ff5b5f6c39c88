/* SPDX-License-Identifier: Apache-2.0 */
/* The config file parser (airlockd.conf) on arbitrary bytes: no crash, no
 * leak, and every setting it accepts is a "--flag" of the table. */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "airlockd/airlockd.h"

static const struct option opts[] = {
    {"listen", required_argument, NULL, 'l'},
    {"state-dir", required_argument, NULL, 's'},
    {"net-override", required_argument, NULL, 'O'},
    {"net-allow-addr", required_argument, NULL, 'A'},
    {"stop-sandboxes-on-exit", no_argument, NULL, 'E'},
    {"adopt-grace", required_argument, NULL, 'G'},
    {"config", required_argument, NULL, 'C'},
    {NULL, 0, NULL, 0},
};
static const char *const repeatable[] = {"net-override", "net-allow-addr", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct airlockd_conf c = {0};
        struct al_error err = {0};

        if (airlockd_conf_parse((const char *)data, size, "fuzz.conf", opts, repeatable, &c,
                                &err) == 0) {
                for (int i = 0; i < c.argc; i++)
                        if (strncmp(c.argv[i], "--", 2) != 0 ||
                            strncmp(c.argv[i], "--config", 8) == 0)
                                abort();
        } else if (strncmp(err.msg, "fuzz.conf", 9) != 0) {
                abort(); /* every error names the file */
        }
        airlockd_conf_free(&c);
        return 0;
}
