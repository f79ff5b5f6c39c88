/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "client.h"

/* airlock ssh ID [-- CMD [ARG...]]: OpenSSH's client to the sandbox's SSH gateway. */
int cli_cmd_ssh(int argc, char **argv, const struct cli_conf *conf);
