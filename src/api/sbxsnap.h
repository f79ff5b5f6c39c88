/* SPDX-License-Identifier: Apache-2.0 */
/* A snapshot of a running sandbox's filesystem (sbxsnap.c). */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "rest.h"
#include "store/store.h"

struct sbx;
struct api_snap_job;

/* Called once with the HTTP status and body (stolen) of the answer. */
typedef void (*api_snap_done)(void *arg, int status, json_t *body);

/* POST /api/airlock/v1/sandboxes/{id}/snapshot with body {"slug"}: start
 * the copy. NULL when answered at once (res filled: a bad slug, a taken one,
 * the strict profile...); otherwise done is called when it is over. */
struct api_snap_job *api_snapshot_sandbox(struct store *st, struct sbx *s, const struct store_token *tok,
                                          const char *body, size_t len, api_snap_done done, void *arg,
                                          struct api_rest_res *res);
/* The client went away: make the snapshot all the same, answer nobody. */
void api_snapshot_forget(struct api_snap_job *job);
