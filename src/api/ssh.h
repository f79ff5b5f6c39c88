/* SPDX-License-Identifier: Apache-2.0 */
/* The SSH gateway (exposeSsh): a libssh server on airlockd's event loop.
 * The username is the capability: an unguessable per-sandbox token, valid
 * while the sandbox lives, accepted with the "none" method (as the hosted
 * product does). Sessions are processes spawned through the sandbox channel
 * as `app`: a login shell in a PTY, or a command. */
#pragma once

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"

#define API_SSH_DEFAULT_LISTEN "127.0.0.1:2222"

struct sbx;

/* Listen on listen ("ADDR:PORT"), with the host key kept in
 * <state_dir>/ssh/host_ed25519 (made once, 0600). One gateway per process. */
int api_ssh_start(struct event_base *base, const char *listen, const char *state_dir, struct al_error *err);
/* Every session ends; the listener closes. */
void api_ssh_stop(void);
/* {hostname, username} for the sandbox (the same username on every call),
 * or NULL when the gateway is not running. */
json_t *api_ssh_expose(struct sbx *s);
/* After a restart: the username the sandbox had keeps working. */
void api_ssh_restore(struct sbx *s);
