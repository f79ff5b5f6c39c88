/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "client.h"

/* airlock token create NAME [--admin] | ls [--json] | revoke NAME|ID */
int cli_cmd_token(int argc, char **argv, const struct cli_conf *conf);
