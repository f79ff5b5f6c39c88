/* SPDX-License-Identifier: Apache-2.0 */
/* Volumes and snapshots: rows per token, slugs unique within a token, lists
 * in pages ordered by id. The bytes themselves live in <state>/volumes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "store_internal.h"
#include "common/cleanup.h"

#define VOLUME_COLS "id, slug, token_id, region, capacity, bootable, base_snapshot, attached_to, created_ms"
#define SNAPSHOT_COLS                                                                                                  \
        "id, slug, token_id, region, volume_id, volume_slug, bootable, allocated_size, "                               \
        "flattened_size, created_ms"

static void row_volume(sqlite3_stmt *s, struct store_volume *v)
{
        store_col_text(s, 0, v->id, sizeof(v->id));
        store_col_text(s, 1, v->slug, sizeof(v->slug));
        store_col_text(s, 2, v->token_id, sizeof(v->token_id));
        store_col_text(s, 3, v->region, sizeof(v->region));
        v->capacity = (uint64_t)sqlite3_column_int64(s, 4);
        v->bootable = sqlite3_column_int(s, 5) != 0;
        store_col_text(s, 6, v->base_snapshot, sizeof(v->base_snapshot));
        store_col_text(s, 7, v->attached_to, sizeof(v->attached_to));
        v->created_ms = sqlite3_column_int64(s, 8);
}

static void row_snapshot(sqlite3_stmt *s, struct store_snapshot *p)
{
        store_col_text(s, 0, p->id, sizeof(p->id));
        store_col_text(s, 1, p->slug, sizeof(p->slug));
        store_col_text(s, 2, p->token_id, sizeof(p->token_id));
        store_col_text(s, 3, p->region, sizeof(p->region));
        store_col_text(s, 4, p->volume_id, sizeof(p->volume_id));
        store_col_text(s, 5, p->volume_slug, sizeof(p->volume_slug));
        p->bootable = sqlite3_column_int(s, 6) != 0;
        p->allocated_size = (uint64_t)sqlite3_column_int64(s, 7);
        p->flattened_size = (uint64_t)sqlite3_column_int64(s, 8);
        p->created_ms = sqlite3_column_int64(s, 9);
}

/* An INSERT prepared and bound by the caller, run; a duplicate id or slug is
 * -EEXIST naming the slug. */
static int insert_done(struct store *st, sqlite3_stmt *s, const char *kind, const char *slug, struct al_error *err)
{
        int rc = sqlite3_step(s);

        if ((rc & 0xff) == SQLITE_CONSTRAINT)
                return al_error_setx(err, EEXIST, "a %s named '%s' exists already", kind, slug);
        if (rc != SQLITE_DONE)
                return store_sqlite_error(st, rc, "recording a volume or snapshot", err);
        return 0;
}

int store_volume_insert(struct store *st, const struct store_volume *v, struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = store_prepare(st, "INSERT INTO volumes (" VOLUME_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                              &s, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, v->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, v->slug, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, v->token_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, v->region, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 5, (sqlite3_int64)v->capacity);
        sqlite3_bind_int(s, 6, v->bootable);
        sqlite3_bind_text(s, 7, v->base_snapshot, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 8, v->attached_to, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 9, v->created_ms);
        return insert_done(st, s, "volume", v->slug, err);
}

int store_snapshot_insert(struct store *st, const struct store_snapshot *p, struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = store_prepare(st,
                              "INSERT INTO snapshots (" SNAPSHOT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
                              "?10)",
                              &s, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, p->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, p->slug, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, p->token_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, p->region, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 5, p->volume_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 6, p->volume_slug, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 7, p->bootable);
        sqlite3_bind_int64(s, 8, (sqlite3_int64)p->allocated_size);
        sqlite3_bind_int64(s, 9, (sqlite3_int64)p->flattened_size);
        sqlite3_bind_int64(s, 10, p->created_ms);
        return insert_done(st, s, "snapshot", p->slug, err);
}

/* One row by id or slug, within a token's own when token_id is set; an id
 * wins over another row's equal slug. */
static int get_row(struct store *st, const char *sql, const char *token_id, const char *id_or_slug, sqlite3_stmt **ret)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;

        if (!id_or_slug || sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(s, 1, id_or_slug, -1, SQLITE_STATIC);
        if (token_id)
                sqlite3_bind_text(s, 2, token_id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return -EIO;
        *ret = TAKE_PTR(s);
        return 0;
}

int store_volume_get(struct store *st, const char *token_id, const char *id_or_slug, struct store_volume *ret)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = get_row(st,
                        "SELECT " VOLUME_COLS " FROM volumes WHERE (id = ?1 OR slug = ?1)"
                        " AND (?2 IS NULL OR token_id = ?2) ORDER BY id = ?1 DESC LIMIT 1",
                        token_id, id_or_slug, &s);
        if (r < 0)
                return r;
        row_volume(s, ret);
        return 0;
}

int store_snapshot_get(struct store *st, const char *token_id, const char *id_or_slug, struct store_snapshot *ret)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = get_row(st,
                        "SELECT " SNAPSHOT_COLS " FROM snapshots WHERE (id = ?1 OR slug = ?1)"
                        " AND (?2 IS NULL OR token_id = ?2) ORDER BY id = ?1 DESC LIMIT 1",
                        token_id, id_or_slug, &s);
        if (r < 0)
                return r;
        row_snapshot(s, ret);
        return 0;
}

/* A volume in use is not deleted: its sandbox would lose its disk. */
int store_volume_delete(struct store *st, const char *id, struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        struct store_volume v;
        int r = store_prepare(st, "DELETE FROM volumes WHERE id = ?1 AND attached_to = ''", &s, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        r = store_step_done(st, s, "deleting a volume", err);
        if (r < 0 || sqlite3_changes(st->db) > 0)
                return r;
        if (store_volume_get(st, NULL, id, &v) < 0 || strcmp(v.id, id) != 0)
                return al_error_setx(err, ENOENT, "no volume %s", id);
        return al_error_setx(err, EBUSY, "volume '%s' is in use by sandbox %s: stop that sandbox first", v.slug,
                             v.attached_to);
}

int store_snapshot_delete(struct store *st, const char *id, struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = store_prepare(st, "DELETE FROM snapshots WHERE id = ?1", &s, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        r = store_step_done(st, s, "deleting a snapshot", err);
        if (r >= 0 && sqlite3_changes(st->db) == 0)
                return al_error_setx(err, ENOENT, "no snapshot %s", id);
        return r;
}

/* One UPDATE, so two sandboxes cannot both win the volume. */
int store_volume_attach(struct store *st, const char *id, const char *sandbox_id, struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        struct store_volume v;
        int r = store_prepare(st,
                              sandbox_id ? "UPDATE volumes SET attached_to = ?2 WHERE id = ?1 AND attached_to = ''"
                                         : "UPDATE volumes SET attached_to = '' WHERE id = ?1",
                              &s, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        if (sandbox_id)
                sqlite3_bind_text(s, 2, sandbox_id, -1, SQLITE_STATIC);
        r = store_step_done(st, s, "attaching a volume", err);
        if (r < 0 || sqlite3_changes(st->db) > 0)
                return r;
        if (store_volume_get(st, NULL, id, &v) < 0 || strcmp(v.id, id) != 0)
                return al_error_setx(err, ENOENT, "no volume %s", id);
        return al_error_setx(err, EBUSY, "volume '%s' is in use by sandbox %s", v.slug, v.attached_to);
}

/* A page of rows after cursor. One row more than asked for tells whether
 * there is a next page. */
static json_t *list_page(struct store *st, const char *sql, const char *token_id, const char *search,
                         const char *cursor, unsigned limit, char ret_next[STORE_ID_MAX],
                         json_t *(*to_json)(struct store *st, sqlite3_stmt *s))
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        json_t *page = json_array();
        char last[STORE_ID_MAX] = "", after[STORE_ID_MAX];
        unsigned n = 0;

        snprintf(after, sizeof(after), "%s", cursor ? cursor : ""); /* cursor may be ret_next */
        ret_next[0] = '\0';
        if (limit == 0 || limit > STORE_PAGE_MAX)
                limit = STORE_PAGE_MAX;
        if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
                return page;
        if (token_id)
                sqlite3_bind_text(s, 1, token_id, -1, SQLITE_STATIC);
        if (search && *search)
                sqlite3_bind_text(s, 2, search, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, after, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, (int)limit + 1);
        while (sqlite3_step(s) == SQLITE_ROW) {
                if (n++ == limit) {
                        snprintf(ret_next, STORE_ID_MAX, "%s", last);
                        break;
                }
                store_col_text(s, 0, last, sizeof(last));
                json_array_append_new(page, to_json(st, s));
        }
        return page;
}

static json_t *volume_row_json(struct store *st, sqlite3_stmt *s)
{
        struct store_volume v;
        row_volume(s, &v);
        return store_volume_json(st, &v);
}

static json_t *snapshot_row_json(struct store *st, sqlite3_stmt *s)
{
        struct store_snapshot p;
        row_snapshot(s, &p);
        return store_snapshot_json(&p);
}

json_t *store_volume_list(struct store *st, const char *token_id, const char *search, const char *cursor,
                          unsigned limit, char ret_next[STORE_ID_MAX])
{
        return list_page(st,
                         "SELECT " VOLUME_COLS " FROM volumes WHERE (?1 IS NULL OR token_id = ?1)"
                         " AND (?2 IS NULL OR instr(slug, ?2) > 0 OR instr(id, ?2) > 0) AND id > ?3"
                         " ORDER BY id LIMIT ?4",
                         token_id, search, cursor, limit, ret_next, volume_row_json);
}

json_t *store_snapshot_list(struct store *st, const char *token_id, const char *search, const char *cursor,
                            unsigned limit, char ret_next[STORE_ID_MAX])
{
        return list_page(st,
                         "SELECT " SNAPSHOT_COLS " FROM snapshots WHERE (?1 IS NULL OR token_id = ?1)"
                         " AND (?2 IS NULL OR instr(slug, ?2) > 0 OR instr(id, ?2) > 0) AND id > ?3"
                         " ORDER BY id LIMIT ?4",
                         token_id, search, cursor, limit, ret_next, snapshot_row_json);
}

/* The image's blocks on the host are what the volume takes; its capacity
 * is what it would take full. */
json_t *store_volume_json(struct store *st, const struct store_volume *v)
{
        char path[PATH_MAX + 64];
        struct store_snapshot base;
        struct stat sb;
        uint64_t allocated = 0;
        json_t *base_json = json_null();

        snprintf(path, sizeof(path), "%s/volumes/%s.img", st->dir, v->id);
        if (stat(path, &sb) == 0)
                allocated = (uint64_t)sb.st_blocks * 512;
        if (v->base_snapshot[0])
                base_json = json_pack("{s:s,s:s}", "id", v->base_snapshot, "slug",
                                      store_snapshot_get(st, NULL, v->base_snapshot, &base) == 0 ? base.slug
                                                                                                 : v->base_snapshot);
        return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:o}", "id", v->id, "slug", v->slug, "region", v->region,
                         "capacity", (json_int_t)v->capacity, "estimated_allocated_size", (json_int_t)allocated,
                         "estimated_flattened_size", (json_int_t)v->capacity, "is_bootable", v->bootable,
                         "base_snapshot", base_json);
}

json_t *store_snapshot_json(const struct store_snapshot *s)
{
        json_t *vol = s->volume_id[0] ? json_pack("{s:s,s:s}", "id", s->volume_id, "slug", s->volume_slug)
                                      : json_null();

        return json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:o}", "id", s->id, "slug", s->slug, "region", s->region,
                         "allocated_size", (json_int_t)s->allocated_size, "flattened_size",
                         (json_int_t)s->flattened_size, "is_bootable", s->bootable, "volume", vol);
}
