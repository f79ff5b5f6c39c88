/* SPDX-License-Identifier: Apache-2.0 */
/* processWait and processKill for the processes an adopted sandbox ran
 * before airlockd restarted (past.c). */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "live.h"

/* Answer the client's processWait (rpc_id borrowed) when the process ends. */
int past_wait(struct sbx *s, struct sbx_peer *p, json_t *rpc_id, int64_t pid);
/* Signal the process's group; an unknown pid is ignored by airlock-init. */
int past_kill(struct sbx *s, int64_t pid, int sig);
void past_peer_gone(struct sbx *s, struct sbx_peer *p);
void past_sbx_gone(struct sbx *s);
