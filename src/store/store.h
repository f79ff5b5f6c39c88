/* SPDX-License-Identifier: Apache-2.0 */
/* The store: what airlockd must know after a restart, in SQLite (WAL) at
 * <state>/airlock.db. Tokens, sandboxes (live and recently stopped),
 * volumes and snapshots. Every write that a client's answer depends on is
 * committed before the call returns. The schema carries a version and
 * migrates forward; a database that is corrupt, from a newer airlockd, or
 * not a database at all is an error naming the file and what to do, never a
 * silent reset. One store per process, used from the event loop only. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

#define STORE_FILE "airlock.db"
#define STORE_SCHEMA_VERSION 1
#define STORE_NAME_MAX 64      /* token names, volume and snapshot slugs */
#define STORE_ID_MAX 48        /* ids: "tok_..", "vol_..", "snp_..", sandbox ids */
#define STORE_TOKEN_MAX 80     /* a bearer token: "ddo_" + 40 characters */
#define STORE_MAX_STOPPED 1000 /* stopped sandboxes kept for listing (oldest go first) */
#define STORE_PAGE_MAX 100     /* page size cap of the paginated lists */

struct store;

/* Open (creating it and its schema if missing) <state_dir>/airlock.db. */
int store_open(const char *state_dir, struct store **ret, struct al_error *err);
void store_close(struct store *st);
int store_schema_version(struct store *st);

/* --- tokens ---------------------------------------------------------------
 * Only a SHA-256 of each secret is stored. An admin token may manage tokens;
 * every token sees only the sandboxes, volumes and snapshots it made. */
struct store_token {
        char id[STORE_ID_MAX]; /* "tok_" + 20 characters */
        char name[STORE_NAME_MAX + 1];
        bool admin;
        int64_t created_ms;
};
/* A new token with a fresh secret ("ddo_" + 40 of [0-9a-z]) in ret_secret.
 * -EEXIST when a live token has that name. */
int store_token_create(struct store *st, const char *name, bool admin, char ret_secret[STORE_TOKEN_MAX + 1],
                       struct store_token *ret, struct al_error *err);
/* Take an existing secret (the <state>/token file of earlier versions). */
int store_token_import(struct store *st, const char *name, const char *secret, bool admin, struct store_token *ret,
                       struct al_error *err);
/* 0 and *ret for a live token, -ENOENT otherwise (constant-time compare of the hash). */
int store_token_check(struct store *st, const char *secret, struct store_token *ret);
/* [{id, name, admin, createdAt}] of live tokens. */
json_t *store_token_list(struct store *st);
/* Revoke by name or id; -ENOENT if none. */
int store_token_revoke(struct store *st, const char *name_or_id, struct al_error *err);
unsigned store_token_count(struct store *st);

/* --- sandboxes ------------------------------------------------------------
 * `state` is airlockd's own JSON (what it needs to adopt the sandbox after a
 * restart: init pid and start time, config, exposures); the store keeps it
 * opaque. Stopped sandboxes stay listed until STORE_MAX_STOPPED newer ones. */
struct store_sandbox {
        char id[STORE_ID_MAX];
        char token_id[STORE_ID_MAX];
        int64_t created_ms;
        int64_t stopped_ms; /* 0 while running */
        json_t *labels;     /* object; owned by the struct (store_sandbox_clear) */
        json_t *state;      /* object; owned by the struct */
};
void store_sandbox_clear(struct store_sandbox *sb);
int store_sandbox_insert(struct store *st, const struct store_sandbox *sb, struct al_error *err);
int store_sandbox_set_state(struct store *st, const char *id, json_t *state, struct al_error *err);
int store_sandbox_set_labels(struct store *st, const char *id, json_t *labels, struct al_error *err);
int store_sandbox_stopped(struct store *st, const char *id, int64_t stopped_ms, struct al_error *err);
/* Every running sandbox, for adoption at start: calls fn for each (sb is
 * borrowed for the call). fn returning < 0 stops the walk with that value. */
int store_sandbox_foreach_running(struct store *st, int (*fn)(void *arg, const struct store_sandbox *sb), void *arg);
/* The console's listing (newest first), filtered by token (NULL: all) and
 * labels (an object of k: v that must all match; NULL: any):
 * [{id, createdAt, stoppedAt|null, region, status: "running"|"stopped", labels}] */
json_t *store_sandbox_list(struct store *st, const char *token_id, json_t *labels);
/* 0 and *ret (caller clears) or -ENOENT. */
int store_sandbox_get(struct store *st, const char *id, struct store_sandbox *ret);

/* --- volumes and snapshots --------------------------------------------- */
struct store_volume {
        char id[STORE_ID_MAX]; /* "vol_" + 20 characters */
        char slug[STORE_NAME_MAX + 1];
        char token_id[STORE_ID_MAX];
        char region[8];
        uint64_t capacity;                /* bytes */
        bool bootable;                    /* made from a snapshot or an image: holds a root filesystem */
        char base_snapshot[STORE_ID_MAX]; /* "" if none */
        char attached_to[STORE_ID_MAX];   /* the sandbox using it, "" if none */
        int64_t created_ms;
};
struct store_snapshot {
        char id[STORE_ID_MAX]; /* "snp_" + 20 characters */
        char slug[STORE_NAME_MAX + 1];
        char token_id[STORE_ID_MAX];
        char region[8];
        char volume_id[STORE_ID_MAX]; /* "" for a snapshot of a sandbox */
        char volume_slug[STORE_NAME_MAX + 1];
        bool bootable;
        uint64_t allocated_size;
        uint64_t flattened_size;
        int64_t created_ms;
};
/* -EEXIST when the token already has a volume (snapshot) of that slug. */
int store_volume_insert(struct store *st, const struct store_volume *v, struct al_error *err);
/* By id or slug, within the token's own (token_id NULL: any). 0 or -ENOENT. */
int store_volume_get(struct store *st, const char *token_id, const char *id_or_slug, struct store_volume *ret);
int store_volume_delete(struct store *st, const char *id, struct al_error *err);
/* Attach to a sandbox (sandbox_id) or detach (NULL). Attaching a volume that
 * is attached already is -EBUSY naming the sandbox. */
int store_volume_attach(struct store *st, const char *id, const char *sandbox_id, struct al_error *err);
/* Pages ordered by id; search matches a substring of slug or id; cursor is
 * the last id of the previous page ("" or NULL: from the start). *ret_next
 * gets the cursor of the next page or "" when this was the last. */
json_t *store_volume_list(struct store *st, const char *token_id, const char *search, const char *cursor,
                          unsigned limit, char ret_next[STORE_ID_MAX]);
int store_snapshot_insert(struct store *st, const struct store_snapshot *s, struct al_error *err);
int store_snapshot_get(struct store *st, const char *token_id, const char *id_or_slug, struct store_snapshot *ret);
int store_snapshot_delete(struct store *st, const char *id, struct al_error *err);
json_t *store_snapshot_list(struct store *st, const char *token_id, const char *search, const char *cursor,
                            unsigned limit, char ret_next[STORE_ID_MAX]);
/* The JSON the console API answers with (protocol section 8). */
json_t *store_volume_json(struct store *st, const struct store_volume *v);
json_t *store_snapshot_json(const struct store_snapshot *s);

/* A random id with a prefix: "<prefix>_" + 20 of [0-9a-hjkmnp-z]. */
int store_id_generate(const char *prefix, char ret[STORE_ID_MAX]);
