/* SPDX-License-Identifier: Apache-2.0 */
/* Sandboxes: the live ones airlockd adopts after a restart, and the most
 * recently stopped ones that the console still lists. */
#include <errno.h>
#include <string.h>

#include "store_internal.h"
#include "common/cleanup.h"

#define SANDBOX_COLS "id, token_id, created_ms, stopped_ms, labels, state"

void store_sandbox_clear(struct store_sandbox *sb)
{
        json_decref(sb->labels);
        json_decref(sb->state);
        sb->labels = sb->state = NULL;
}

static void row_sandbox(sqlite3_stmt *s, struct store_sandbox *sb)
{
        store_col_text(s, 0, sb->id, sizeof(sb->id));
        store_col_text(s, 1, sb->token_id, sizeof(sb->token_id));
        sb->created_ms = sqlite3_column_int64(s, 2);
        sb->stopped_ms = sqlite3_column_int64(s, 3);
        sb->labels = store_col_json(s, 4);
        sb->state = store_col_json(s, 5);
}

/* Bind an object as JSON text ("{}" for NULL); the text is freed by SQLite. */
static int bind_json(sqlite3_stmt *s, int col, json_t *j)
{
        char *text = j ? json_dumps(j, JSON_COMPACT) : strdup("{}");

        if (!text)
                return -ENOMEM;
        sqlite3_bind_text(s, col, text, -1, free);
        return 0;
}

int store_sandbox_insert(struct store *st, const struct store_sandbox *sb, struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = store_prepare(st, "INSERT INTO sandboxes (" SANDBOX_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &s, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, sb->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, sb->token_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 3, sb->created_ms);
        sqlite3_bind_int64(s, 4, sb->stopped_ms);
        if (bind_json(s, 5, sb->labels) < 0 || bind_json(s, 6, sb->state) < 0)
                return al_error_setx(err, ENOMEM, "store: sandbox %s: no memory", sb->id);
        int rc = sqlite3_step(s);
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
                return al_error_setx(err, EEXIST, "store: sandbox %s is recorded already", sb->id);
        if (rc != SQLITE_DONE)
                return store_sqlite_error(st, rc, "recording a sandbox", err);
        return 0;
}

static int set_column(struct store *st, const char *sql, const char *id, json_t *j, struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = store_prepare(st, sql, &s, err);

        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        if (bind_json(s, 2, j) < 0)
                return al_error_setx(err, ENOMEM, "store: sandbox %s: no memory", id);
        r = store_step_done(st, s, "updating a sandbox", err);
        if (r < 0)
                return r;
        if (sqlite3_changes(st->db) == 0)
                return al_error_setx(err, ENOENT, "store: no sandbox %s", id);
        return 0;
}

int store_sandbox_set_state(struct store *st, const char *id, json_t *state, struct al_error *err)
{
        return set_column(st, "UPDATE sandboxes SET state = ?2 WHERE id = ?1", id, state, err);
}

int store_sandbox_set_labels(struct store *st, const char *id, json_t *labels, struct al_error *err)
{
        return set_column(st, "UPDATE sandboxes SET labels = ?2 WHERE id = ?1", id, labels, err);
}

/* Mark stopped, free its volumes (a stopped sandbox holds none) and keep
 * only the newest STORE_MAX_STOPPED stopped ones. */
static int stopped_locked(struct store *st, const char *id, int64_t stopped_ms, struct al_error *err)
{
        static const char *const sql[] = {
                /* what only a running sandbox needs goes with it, secrets first */
                "UPDATE sandboxes SET stopped_ms = ?2, state = '{}' WHERE id = ?1 AND stopped_ms = 0",
                "UPDATE volumes SET attached_to = '' WHERE attached_to = ?1",
                ("DELETE FROM sandboxes WHERE stopped_ms != 0 AND id NOT IN (SELECT id FROM sandboxes"
                 " WHERE stopped_ms != 0 ORDER BY stopped_ms DESC, rowid DESC LIMIT ?3)"),
        };
        for (size_t i = 0; i < ARRAY_SIZE(sql); i++) {
                _cleanup_stmt_ sqlite3_stmt *s = NULL;
                int r = store_prepare(st, sql[i], &s, err);
                if (r < 0)
                        return r;
                /* a statement without one of these answers SQLITE_RANGE: harmless */
                sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
                sqlite3_bind_int64(s, 2, stopped_ms > 0 ? stopped_ms : 1);
                sqlite3_bind_int(s, 3, STORE_MAX_STOPPED);
                r = store_step_done(st, s, "recording a stopped sandbox", err);
                if (r < 0)
                        return r;
                if (i == 0 && sqlite3_changes(st->db) == 0) {
                        struct store_sandbox sb = { 0 };
                        if (store_sandbox_get(st, id, &sb) < 0)
                                return al_error_setx(err, ENOENT, "store: no sandbox %s", id);
                        store_sandbox_clear(&sb); /* stopped already: keep its first stop time */
                }
        }
        return 0;
}

int store_sandbox_stopped(struct store *st, const char *id, int64_t stopped_ms, struct al_error *err)
{
        int r = store_exec(st, "BEGIN IMMEDIATE", err);

        if (r < 0)
                return r;
        r = stopped_locked(st, id, stopped_ms, err);
        if (r >= 0)
                r = store_exec(st, "COMMIT", err);
        if (r < 0)
                store_rollback(st);
        return r;
}

int store_sandbox_foreach_running(struct store *st, int (*fn)(void *arg, const struct store_sandbox *sb), void *arg)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int rc, r = 0;

        if (sqlite3_prepare_v2(st->db,
                               "SELECT " SANDBOX_COLS " FROM sandboxes WHERE stopped_ms = 0 ORDER BY created_ms", -1,
                               &s, NULL) != SQLITE_OK)
                return -EIO;
        while (r >= 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
                struct store_sandbox sb = { 0 };
                row_sandbox(s, &sb);
                r = fn(arg, &sb);
                store_sandbox_clear(&sb);
        }
        if (r >= 0 && rc != SQLITE_DONE)
                return -EIO;
        return r;
}

int store_sandbox_get(struct store *st, const char *id, struct store_sandbox *ret)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;

        if (sqlite3_prepare_v2(st->db, "SELECT " SANDBOX_COLS " FROM sandboxes WHERE id = ?1", -1, &s, NULL) !=
            SQLITE_OK)
                return -EIO;
        sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return -EIO;
        row_sandbox(s, ret);
        return 0;
}

/* Every k: v of want is in have, with equal values. */
static bool labels_match(json_t *have, json_t *want)
{
        const char *k;
        json_t *v;

        json_object_foreach (want, k, v) {
                if (!json_equal(json_object_get(have, k), v))
                        return false;
        }
        return true;
}

/* sbx_<region>_<random>: the region is the middle part. */
static void id_region(const char *id, char region[8])
{
        const char *a = strchr(id, '_'), *b = a ? strchr(a + 1, '_') : NULL;
        snprintf(region, 8, "%.*s", a && b && b - a - 1 < 8 ? (int)(b - a - 1) : 0, a ? a + 1 : "");
}

static json_t *sandbox_json(const struct store_sandbox *sb)
{
        char created[32], stopped[32], region[8];

        store_iso8601(sb->created_ms, created);
        store_iso8601(sb->stopped_ms, stopped);
        id_region(sb->id, region);
        return json_pack("{s:s,s:s,s:o,s:s,s:s,s:O}", "id", sb->id, "createdAt", created, "stoppedAt",
                         sb->stopped_ms ? json_string(stopped) : json_null(), "region", region, "status",
                         sb->stopped_ms ? "stopped" : "running", "labels", sb->labels);
}

json_t *store_sandbox_list(struct store *st, const char *token_id, json_t *labels)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        json_t *list = json_array();

        if (sqlite3_prepare_v2(st->db,
                               /* not the state: the listing never shows it */
                               "SELECT id, token_id, created_ms, stopped_ms, labels, NULL"
                               " FROM sandboxes WHERE ?1 IS NULL OR token_id = ?1"
                               " ORDER BY created_ms DESC, rowid DESC",
                               -1, &s, NULL) != SQLITE_OK)
                return list;
        if (token_id)
                sqlite3_bind_text(s, 1, token_id, -1, SQLITE_STATIC);
        while (sqlite3_step(s) == SQLITE_ROW) {
                struct store_sandbox sb = { 0 };
                row_sandbox(s, &sb);
                if (!labels || labels_match(sb.labels, labels))
                        json_array_append_new(list, sandbox_json(&sb));
                store_sandbox_clear(&sb);
        }
        return list;
}
