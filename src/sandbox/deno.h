/* SPDX-License-Identifier: Apache-2.0 */
/* The Deno methods: spawnDeno, denoHttpWait and the REPL (spawnDenoRepl,
 * denoReplEval, denoReplCall, denoReplClose). live.c routes the calls here
 * and tells this module when processes start and exit. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct sbx;
struct sbx_peer;

/* false: not a Deno method. */
bool deno_rpc(struct sbx *s, struct sbx_peer *p, json_t *id, const char *method, json_t *params);
void deno_proc_started(struct sbx *s, uint32_t chan, int64_t pid);
void deno_proc_exited(struct sbx *s, int64_t pid);
/* Output of a process spawned by the client (watch mode looks for restarts). */
void deno_proc_output(struct sbx *s, uint32_t chan, bool is_stderr, const uint8_t *p, size_t n);
void deno_peer_gone(struct sbx *s, struct sbx_peer *p);
void deno_sbx_gone(struct sbx *s);
/* The TCP port a process's denoHttpWait found it listening on, or -ENOENT. */
int deno_http_port(struct sbx *s, int64_t pid);
