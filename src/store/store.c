/* SPDX-License-Identifier: Apache-2.0 */
/* Opening the store: the file checks, the marker that tells a lost database
 * from a first start, the schema migrations, and the SQLite helpers the
 * other store files share. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_internal.h"
#include "common/buf.h"
#include "common/cleanup.h"

#define STORE_MARKER_SUFFIX ".id"
#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_RESCUE                                                                                                   \
        "restore it from a backup or move it away to start with an empty store; "                                      \
        "sandboxes and volumes recorded in it would be forgotten"

/* The schema. To change it, append a step; never edit one that shipped. */
static const struct store_migration migrations[STORE_SCHEMA_VERSION] = {
        { /* 0 -> 1 */
          "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
          "CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL, hash BLOB NOT NULL,"
          " admin INTEGER NOT NULL, created_ms INTEGER NOT NULL, revoked_ms INTEGER);"
          "CREATE UNIQUE INDEX tokens_live_name ON tokens(name) WHERE revoked_ms IS NULL;"
          "CREATE INDEX tokens_hash ON tokens(hash);"
          "CREATE TABLE sandboxes (id TEXT PRIMARY KEY, token_id TEXT NOT NULL,"
          " created_ms INTEGER NOT NULL, stopped_ms INTEGER NOT NULL DEFAULT 0,"
          " labels TEXT NOT NULL, state TEXT NOT NULL);"
          "CREATE INDEX sandboxes_stopped ON sandboxes(stopped_ms);"
          "CREATE TABLE volumes (id TEXT PRIMARY KEY, slug TEXT NOT NULL, token_id TEXT NOT NULL,"
          " region TEXT NOT NULL, capacity INTEGER NOT NULL, bootable INTEGER NOT NULL,"
          " base_snapshot TEXT NOT NULL, attached_to TEXT NOT NULL, created_ms INTEGER NOT NULL,"
          " UNIQUE (token_id, slug));"
          "CREATE TABLE snapshots (id TEXT PRIMARY KEY, slug TEXT NOT NULL, token_id TEXT NOT NULL,"
          " region TEXT NOT NULL, volume_id TEXT NOT NULL, volume_slug TEXT NOT NULL,"
          " bootable INTEGER NOT NULL, allocated_size INTEGER NOT NULL,"
          " flattened_size INTEGER NOT NULL, created_ms INTEGER NOT NULL, UNIQUE (token_id, slug));" },
};

/* --- helpers shared by the store's files --------------------------------- */

int store_sqlite_error(struct store *st, int rc, const char *what, struct al_error *err)
{
        int code;

        switch (rc & 0xff) {
        case SQLITE_CONSTRAINT:
                code = EEXIST;
                break;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                code = EBUSY;
                break;
        case SQLITE_FULL:
                code = ENOSPC;
                break;
        case SQLITE_NOMEM:
                code = ENOMEM;
                break;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:
                code = EACCES;
                break;
        default:
                code = EIO;
        }
        return al_error_setx(err, code, "store %s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
}

int store_prepare(struct store *st, const char *sql, sqlite3_stmt **ret, struct al_error *err)
{
        int rc = sqlite3_prepare_v2(st->db, sql, -1, ret, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_error(st, rc, "preparing a statement", err);
        return 0;
}

int store_step_done(struct store *st, sqlite3_stmt *s, const char *what, struct al_error *err)
{
        int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                return store_sqlite_error(st, rc, what, err);
        return 0;
}

int store_exec(struct store *st, const char *sql, struct al_error *err)
{
        int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
                return store_sqlite_error(st, rc, sql, err);
        return 0;
}

void store_rollback(struct store *st)
{
        if (!sqlite3_get_autocommit(st->db))
                (void)sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

void store_col_text(sqlite3_stmt *s, int col, char *buf, size_t len)
{
        const unsigned char *t = sqlite3_column_text(s, col);
        snprintf(buf, len, "%s", t ? (const char *)t : "");
}

json_t *store_col_json(sqlite3_stmt *s, int col)
{
        const char *t = (const char *)sqlite3_column_text(s, col);
        json_t *j = t ? json_loads(t, 0, NULL) : NULL;

        if (!json_is_object(j)) {
                json_decref(j);
                return json_object();
        }
        return j;
}

void store_iso8601(int64_t ms, char buf[32])
{
        time_t t = (time_t)(ms / 1000);
        struct tm tm;

        gmtime_r(&t, &tm);
        size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

int64_t store_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The SDK's alphabet: digits and lowercase letters without i, l, o (33);
 * the first 32 are used so that a byte modulo 32 has no bias. */
static const char id_alphabet[] = "0123456789abcdefghjkmnpqrstuvwxyz";

int store_id_generate(const char *prefix, char ret[STORE_ID_MAX])
{
        unsigned char rnd[20];
        size_t plen = strlen(prefix);

        if (plen == 0 || plen + 1 + sizeof(rnd) >= STORE_ID_MAX)
                return -EINVAL;
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                return -EIO;
        memcpy(ret, prefix, plen);
        ret[plen] = '_';
        for (size_t i = 0; i < sizeof(rnd); i++)
                ret[plen + 1 + i] = id_alphabet[rnd[i] % 32];
        ret[plen + 1 + sizeof(rnd)] = '\0';
        return 0;
}

/* --- schema version and migrations --------------------------------------- */

static int user_version(struct store *st)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;

        if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
            sqlite3_step(s) != SQLITE_ROW)
                return -EIO;
        return sqlite3_column_int(s, 0);
}

int store_schema_version(struct store *st)
{
        return user_version(st);
}

static int migrate_step(struct store *st, const struct store_migration *step, int to, struct al_error *err)
{
        char sql[64];
        int r;

        r = store_exec(st, "BEGIN IMMEDIATE", err);
        if (r < 0)
                return r;
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", to);
        r = store_exec(st, step->sql, err);
        if (r >= 0)
                r = store_exec(st, sql, err);
        if (r >= 0)
                r = store_exec(st, "COMMIT", err);
        if (r < 0) {
                store_rollback(st);
                al_error_wrap(err, "migrating the schema from version %d to %d", to - 1, to);
        }
        return r;
}

int store_migrate_to(struct store *st, int target, const struct store_migration *steps, size_t n, struct al_error *err)
{
        int v = user_version(st);

        if (v < 0)
                return store_sqlite_error(st, SQLITE_IOERR, "reading the schema version", err);
        if (v > target)
                return al_error_setx(err, EPROTO,
                                     "store %s has schema version %d, newer than this airlockd's %d: run the "
                                     "airlockd that wrote it, or " STORE_RESCUE,
                                     st->path, v, target);
        if ((size_t)target > n)
                return al_error_setx(err, EINVAL, "store: no migration step to schema version %d", target);
        for (; v < target; v++) {
                int r = migrate_step(st, &steps[v], v + 1, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- opening: file checks, integrity, the marker -------------------------- */

static int check_integrity(struct store *st, struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int rc = sqlite3_prepare_v2(st->db, "PRAGMA quick_check", -1, &s, NULL);

        if (rc == SQLITE_OK)
                rc = sqlite3_step(s);
        if (rc != SQLITE_ROW)
                return al_error_setx(err, EBADMSG,
                                     "store %s is not a SQLite database or is damaged (%s): " STORE_RESCUE, st->path,
                                     sqlite3_errmsg(st->db));
        const char *res = (const char *)sqlite3_column_text(s, 0);
        if (!res || strcmp(res, "ok") != 0)
                return al_error_setx(err, EBADMSG, "store %s is corrupt (%s): " STORE_RESCUE, st->path,
                                     res ? res : "no answer");
        return 0;
}

/* The file must be a readable regular file, owned by us alone. A missing
 * one is created empty (0600) for SQLite to fill: *created says so. */
static int check_file(struct store *st, bool *created, struct al_error *err)
{
        _cleanup_fd_ int fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat sb;

        *created = false;
        if (fd < 0 && errno == ENOENT) {
                if (access(st->marker, F_OK) == 0)
                        return al_error_setx(err, ENOENT,
                                             "store %s is missing but %s says one was made here: the database "
                                             "was lost or moved; restore it from a backup, or remove %s to "
                                             "start with an empty store (sandboxes and volumes recorded in "
                                             "it would be forgotten)",
                                             st->path, st->marker, st->marker);
                fd = open(st->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (fd < 0)
                        return al_error_set(err, errno, "store %s: cannot create it", st->path);
                *created = true;
                return 0;
        }
        if (fd < 0 || fstat(fd, &sb) < 0)
                return al_error_set(err, errno, "store %s: cannot read it (%s)", st->path, STORE_RESCUE);
        if (!S_ISREG(sb.st_mode))
                return al_error_setx(err, EINVAL, "store %s is not a regular file: " STORE_RESCUE, st->path);
        if ((sb.st_mode & 077) && fchmod(fd, 0600) < 0)
                return al_error_set(err, errno, "store %s: cannot make it private (0600)", st->path);
        return 0;
}

static int read_marker(struct store *st, char ret[STORE_ID_MAX])
{
        _cleanup_fd_ int fd = open(st->marker, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, ret, STORE_ID_MAX - 1);
        if (n < 0)
                return -errno;
        ret[n] = '\0';
        ret[strcspn(ret, "\n")] = '\0';
        return 0;
}

static int write_marker(struct store *st, const char *id, struct al_error *err)
{
        char tmp[PATH_MAX + 8], line[STORE_ID_MAX + 1];
        int n = snprintf(line, sizeof(line), "%s\n", id);

        snprintf(tmp, sizeof(tmp), "%s.tmp", st->marker);
        _cleanup_fd_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 || al_write_all(fd, line, (size_t)n) < 0 || fsync(fd) < 0 || rename(tmp, st->marker) < 0) {
                int r = al_error_set(err, errno ? errno : EIO, "store: cannot write %s", st->marker);
                unlink(tmp);
                return r;
        }
        return 0;
}

static int db_id(struct store *st, char ret[STORE_ID_MAX], struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        int r = store_prepare(st, "SELECT value FROM meta WHERE key = 'store_id'", &s, err);

        if (r < 0)
                return r;
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
                store_col_text(s, 0, ret, STORE_ID_MAX);
                return 0;
        }
        if (rc != SQLITE_DONE)
                return store_sqlite_error(st, rc, "reading the store id", err);
        return -ENOENT;
}

/* The database carries a random id, and so does <db>.id next to it: a
 * database missing, emptied or swapped for another is then told apart from
 * a first start instead of being silently recreated. */
static int check_marker(struct store *st, bool created, struct al_error *err)
{
        char id[STORE_ID_MAX], mark[STORE_ID_MAX];
        int r = db_id(st, id, err);
        int m = read_marker(st, mark);

        if (r < 0 && r != -ENOENT)
                return r;
        if (m < 0 && m != -ENOENT)
                return al_error_set(err, -m, "store: cannot read %s", st->marker);
        if (r == -ENOENT && m == 0 && !created)
                return al_error_setx(err, EBADMSG,
                                     "store %s carries no id but %s does: the database was emptied or "
                                     "replaced; " STORE_RESCUE,
                                     st->path, st->marker);
        if (r == -ENOENT) {
                _cleanup_stmt_ sqlite3_stmt *s = NULL;
                if (store_id_generate("db", id) < 0)
                        return al_error_setx(err, EIO, "store: no random bytes for the store id");
                r = store_prepare(st, "INSERT INTO meta (key, value) VALUES ('store_id', ?1)", &s, err);
                if (r < 0)
                        return r;
                sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
                r = store_step_done(st, s, "writing the store id", err);
                if (r < 0)
                        return r;
        } else if (m == 0 && strcmp(id, mark) != 0) {
                return al_error_setx(err, EBADMSG,
                                     "store %s (id %s) is not the database %s names (%s): it was replaced "
                                     "by another; put the right one back, or " STORE_RESCUE,
                                     st->path, id, st->marker, mark);
        }
        return m == 0 && r == 0 && !strcmp(id, mark) ? 0 : write_marker(st, id, err);
}

static int configure(struct store *st, struct al_error *err)
{
        int r;

        sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
        sqlite3_extended_result_codes(st->db, 1);
        r = check_integrity(st, err);
        if (r < 0)
                return r;
        r = store_exec(st, "PRAGMA journal_mode = WAL", err);
        if (r >= 0)
                r = store_exec(st, "PRAGMA synchronous = NORMAL", err);
        if (r >= 0)
                r = store_exec(st, "PRAGMA foreign_keys = OFF", err);
        /* Deleted content (a stopped sandbox's secrets) is overwritten, not
         * left in free pages or the WAL. */
        if (r >= 0)
                r = store_exec(st, "PRAGMA secure_delete = ON", err);
        return r;
}

int store_open(const char *state_dir, struct store **ret, struct al_error *err)
{
        struct store *st = calloc(1, sizeof(*st));
        bool created;
        int r;

        if (!st)
                return al_error_set(err, ENOMEM, "store");
        if (snprintf(st->dir, sizeof(st->dir), "%s", state_dir) >= (int)sizeof(st->dir) - 16) {
                free(st);
                return al_error_setx(err, ENAMETOOLONG, "store: state directory path too long");
        }
        snprintf(st->path, sizeof(st->path), "%s/%s", state_dir, STORE_FILE);
        snprintf(st->marker, sizeof(st->marker), "%s%s", st->path, STORE_MARKER_SUFFIX);
        r = check_file(st, &created, err);
        if (r < 0)
                goto fail;
        int rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
        if (rc != SQLITE_OK) {
                r = al_error_setx(err, EIO, "store %s: cannot open it: %s (%s)", st->path,
                                  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc), STORE_RESCUE);
                goto fail;
        }
        r = configure(st, err);
        if (r >= 0)
                r = store_migrate_to(st, STORE_SCHEMA_VERSION, migrations, ARRAY_SIZE(migrations), err);
        if (r >= 0)
                r = check_marker(st, created, err);
        if (r < 0)
                goto fail;
        *ret = st;
        return 0;
fail:
        store_close(st);
        return r;
}

void store_close(struct store *st)
{
        if (!st)
                return;
        sqlite3_close(st->db);
        free(st);
}
