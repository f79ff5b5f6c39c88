/* SPDX-License-Identifier: Apache-2.0 */
/* Volumes and snapshots: the console's REST routes (api_console_route in
 * rest.h), and what sandbox creation and sandbox end ask of them. The
 * images are made and mounted by runtime/volume.c; the metadata lives in the
 * store. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"
#include "rest.h"
#include "store/store.h"

/* Where volume and snapshot images live (<state_dir>/volumes, /snapshots)
 * and which image "builtin:debian-13" means. Call once, before any route;
 * both strings must outlive the server. */
void api_console_init(const char *state_dir, const char *image);
const char *api_console_state_dir(void);
/* At start: image files of volumes and snapshots the store does not know
 * (over a minute old) are removed; returns how many. */
int api_console_remains(struct store *st);
const char *api_console_image(void);

/* For sandbox creation: read cfg's "volumes" ([{volume, path}]) and "root"
 * ({volume}: a bootable volume or a snapshot, by id or slug), check that tok
 * owns them, attach the volumes to sandbox_id in the store and fill
 * rc->volumes, n_volumes, root_kind and root_id (copies: nothing in rc
 * points into cfg). -EINVAL (a bad path or value), -ENOENT (unknown volume
 * or snapshot), -EBUSY (a volume in use by another sandbox), with err saying
 * which. On success the caller must call api_console_sandbox_released(),
 * also when the sandbox then fails to start. */
int api_console_sandbox_storage(struct store *st, const struct store_token *tok, json_t *cfg, const char *sandbox_id,
                                struct rt_config *rc, struct al_error *err);
/* The sandbox is gone (or never started): detach its volumes. Also for
 * sandboxes of an earlier airlockd (found through the store). */
void api_console_sandbox_released(struct store *st, const char *sandbox_id);

/* A new snapshot of token tok named slug: 0, or -errno with res filled
 * (the slug is taken, or the token keeps too many). */
int api_console_snapshot_precheck(struct store *st, const char *tok, const char *slug, struct api_rest_res *res);
/* Where snapshot id's image goes, and its name while it is being made. */
int api_console_snapshot_paths(const char *id, char *tmp, size_t tmp_len, char *final, size_t final_len);

/* --- pure helpers (console_parse.c) --------------------------------------- */
/* A capacity: a JSON number of bytes, or a string "<n>[.<frac>]<unit>" with
 * unit one of B, kB/KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB;
 * between AL_MIN_VOLUME and AL_MAX_VOLUME. */
int api_console_capacity_parse(json_t *v, uint64_t *ret, struct al_error *err);
/* A slug: 1..STORE_NAME_MAX of [A-Za-z0-9._-], starting with a letter or a
 * digit, and not shaped like an id ("vol_...", "snp_..."). */
bool api_console_slug_valid(const char *slug);
/* The Link header for the next page: <BASE/api/v2/COLLECTION?cursor=..&limit=..[&search=..]>;
 * rel="next". Returns the length, or -ENOSPC when buf is too small. */
int api_console_next_link(char *buf, size_t len, const char *base_url, const char *collection, const char *cursor,
                          unsigned limit, const char *search);
