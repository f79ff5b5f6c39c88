/* SPDX-License-Identifier: Apache-2.0 */
/* What the store's own files share, and the migration mechanism (exposed so
 * that a unit test can run it with an extra, fake step). */
#pragma once

#include <limits.h>
#include <sqlite3.h>

#include "store.h"

struct store {
        sqlite3 *db;
        char dir[PATH_MAX];    /* the state directory */
        char path[PATH_MAX];   /* <dir>/airlock.db */
        char marker[PATH_MAX]; /* <dir>/airlock.db.id */
};

static inline void store_finalizep(sqlite3_stmt **s)
{
        sqlite3_finalize(*s); /* NULL is a no-op */
}
#define _cleanup_stmt_ __attribute__((cleanup(store_finalizep)))

/* Step i moves the schema from version i to i + 1; each runs in its own
 * transaction together with the new PRAGMA user_version. */
struct store_migration {
        const char *sql;
};

/* Bring the database to version target with steps[0 .. n). A database newer
 * than target is an error naming the file; so is a failed step, which
 * leaves the database at the version before it. */
int store_migrate_to(struct store *st, int target, const struct store_migration *steps, size_t n, struct al_error *err);

/* A prepared statement, or an error naming the database. */
int store_prepare(struct store *st, const char *sql, sqlite3_stmt **ret, struct al_error *err);
/* Run a statement to its end (no rows wanted); 0 or -errno with err filled. */
int store_step_done(struct store *st, sqlite3_stmt *s, const char *what, struct al_error *err);
/* Plain SQL without parameters (BEGIN, COMMIT, ...). */
int store_exec(struct store *st, const char *sql, struct al_error *err);
void store_rollback(struct store *st);
/* An error from SQLite, naming the file and the operation. */
int store_sqlite_error(struct store *st, int rc, const char *what, struct al_error *err);

/* Copy a TEXT column into a fixed buffer (truncating, always terminated). */
void store_col_text(sqlite3_stmt *s, int col, char *buf, size_t len);
/* "2026-01-02T03:04:05.678Z" */
void store_iso8601(int64_t ms, char buf[32]);
int64_t store_now_ms(void);
/* An owned JSON object from a TEXT column (an empty object when unreadable). */
json_t *store_col_json(sqlite3_stmt *s, int col);
