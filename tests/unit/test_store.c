/* SPDX-License-Identifier: Apache-2.0 */
/* The store against real SQLite files in a temporary directory per test. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <http_parser.h>

#include "api/rest.h"
#include "store/store_internal.h"

struct fixture {
        char dir[64];
        char db[128];
        char marker[160];
        struct store *st;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        struct al_error err = { 0 };

        snprintf(f->dir, sizeof(f->dir), "/tmp/test_store.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->db, sizeof(f->db), "%s/airlock.db", f->dir);
        snprintf(f->marker, sizeof(f->marker), "%s/airlock.db.id", f->dir);
        assert_int_equal(store_open(f->dir, &f->st, &err), 0);
        *state = f;
        return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
        return remove(path);
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        store_close(f->st);
        nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

/* Reopen after closing; returns store_open's result, err filled. */
static int reopen(struct fixture *f, struct al_error *err)
{
        store_close(f->st);
        f->st = NULL;
        return store_open(f->dir, &f->st, err);
}

static void write_file(const char *path, const void *data, size_t n, off_t at, bool truncate)
{
        int fd = open(path, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : 0), 0600);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, data, n, at), (ssize_t)n);
        close(fd);
}

/* --- opening ------------------------------------------------------------- */

static void test_open_creates(void **state)
{
        struct fixture *f = *state;
        struct stat sb;
        struct al_error err = { 0 };
        char mark[64] = "";

        assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
        assert_int_equal(stat(f->db, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
        assert_int_equal(stat(f->marker, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
        FILE *m = fopen(f->marker, "r");
        assert_non_null(fgets(mark, sizeof(mark), m));
        fclose(m);
        assert_int_equal(strncmp(mark, "db_", 3), 0);
        /* WAL mode is kept in the file */
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(f->st->db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
        sqlite3_finalize(s);
        /* a second open finds the same database, marker and all */
        assert_int_equal(reopen(f, &err), 0);
        assert_int_equal(store_schema_version(f->st), STORE_SCHEMA_VERSION);
}

static void test_open_loose_mode_tightened(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        struct stat sb;

        store_close(f->st);
        f->st = NULL;
        assert_int_equal(chmod(f->db, 0644), 0);
        assert_int_equal(store_open(f->dir, &f->st, &err), 0);
        assert_int_equal(stat(f->db, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_open_garbage(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        char junk[8192];

        store_close(f->st);
        f->st = NULL;
        unlink(f->db);
        memset(junk, 'x', sizeof(junk));
        write_file(f->db, junk, sizeof(junk), 0, true);
        assert_int_equal(store_open(f->dir, &f->st, &err), -EBADMSG);
        assert_null(f->st);
        assert_non_null(strstr(err.msg, f->db));
        assert_non_null(strstr(err.msg, "not a SQLite database"));
        assert_non_null(strstr(err.msg, "move it away"));
        /* never recreated: the garbage is still there */
        struct stat sb;
        assert_int_equal(stat(f->db, &sb), 0);
        assert_int_equal(sb.st_size, sizeof(junk));
}

/* A real database with enough rows to span many pages. */
static void fill(struct store *st, int n)
{
        struct al_error err = { 0 };

        for (int i = 0; i < n; i++) {
                struct store_sandbox sb = { .created_ms = 1000 + i, .labels = json_pack("{s:s}", "pad",
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") };
                snprintf(sb.id, sizeof(sb.id), "sbx_ord_%020d", i);
                snprintf(sb.token_id, sizeof(sb.token_id), "tok_a");
                assert_int_equal(store_sandbox_insert(st, &sb, &err), 0);
                store_sandbox_clear(&sb);
        }
}

static void test_open_corrupt_pages(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        char junk[4096 * 3];

        fill(f->st, 300);
        store_close(f->st); /* the last close checkpoints the WAL into the file */
        f->st = NULL;
        struct stat sb;
        assert_int_equal(stat(f->db, &sb), 0);
        assert_true(sb.st_size > 4096 * 8);
        memset(junk, 0xa5, sizeof(junk));
        write_file(f->db, junk, sizeof(junk), 4096 * 3, false);
        int r = store_open(f->dir, &f->st, &err);
        assert_int_equal(r, -EBADMSG);
        assert_non_null(strstr(err.msg, f->db));
        assert_non_null(strstr(err.msg, "restore it from a backup"));
}

static void test_open_truncated(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        struct stat sb;

        fill(f->st, 300);
        store_close(f->st);
        f->st = NULL;
        assert_int_equal(stat(f->db, &sb), 0);
        assert_int_equal(truncate(f->db, sb.st_size / 2), 0);
        assert_int_equal(store_open(f->dir, &f->st, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, f->db));
}

static void test_open_newer_version(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };

        assert_int_equal(store_exec(f->st, "PRAGMA user_version = 7", &err), 0);
        assert_int_equal(reopen(f, &err), -EPROTO);
        assert_non_null(strstr(err.msg, f->db));
        assert_non_null(strstr(err.msg, "schema version 7"));
        assert_non_null(strstr(err.msg, "newer"));
}

static void test_open_unreadable(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };

        store_close(f->st);
        f->st = NULL;
        unlink(f->db);
        assert_int_equal(mkdir(f->db, 0700), 0); /* root reads any file: a directory it cannot use */
        assert_true(store_open(f->dir, &f->st, &err) < 0);
        assert_null(f->st);
        assert_non_null(strstr(err.msg, f->db));
        rmdir(f->db);
        assert_int_equal(symlink("/etc/passwd", f->db), 0);
        memset(&err, 0, sizeof(err));
        assert_true(store_open(f->dir, &f->st, &err) < 0);
        assert_non_null(strstr(err.msg, f->db));
}

static void test_missing_db_with_marker(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };

        store_close(f->st);
        f->st = NULL;
        assert_int_equal(unlink(f->db), 0);
        assert_int_equal(store_open(f->dir, &f->st, &err), -ENOENT);
        assert_non_null(strstr(err.msg, f->db));
        assert_non_null(strstr(err.msg, f->marker));
        assert_int_equal(access(f->db, F_OK), -1); /* not recreated */
        /* the way out the message names: remove the marker */
        assert_int_equal(unlink(f->marker), 0);
        assert_int_equal(store_open(f->dir, &f->st, &(struct al_error){ 0 }), 0);
}

static void test_swapped_db(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };

        store_close(f->st);
        f->st = NULL;
        write_file(f->marker, "db_someotherdatabase00\n", 23, 0, true);
        assert_int_equal(store_open(f->dir, &f->st, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, f->db));
        assert_non_null(strstr(err.msg, f->marker));
}

static void test_emptied_db(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };

        store_close(f->st);
        f->st = NULL;
        assert_int_equal(truncate(f->db, 0), 0); /* an empty file is a valid, empty database */
        assert_int_equal(store_open(f->dir, &f->st, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, f->marker));
}

static void test_missing_marker_rewritten(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        char a[64] = "", b[64] = "";

        FILE *m = fopen(f->marker, "r");
        assert_non_null(fgets(a, sizeof(a), m));
        fclose(m);
        assert_int_equal(unlink(f->marker), 0);
        assert_int_equal(reopen(f, &err), 0);
        m = fopen(f->marker, "r");
        assert_non_null(m);
        assert_non_null(fgets(b, sizeof(b), m));
        fclose(m);
        assert_string_equal(a, b);
}

/* --- migrations ------------------------------------------------------------ */

static int table_exists(struct store *st, const char *name)
{
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master WHERE name = ?1", -1, &s, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        int n = sqlite3_column_int(s, 0);
        sqlite3_finalize(s);
        return n;
}

static void test_migration_extra_step(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        /* step 0 -> 1 is already applied; only the new entry may run */
        const struct store_migration steps[] = {
                { "CREATE TABLE must_not_run (x);" },
                { "CREATE TABLE extra (x INTEGER); ALTER TABLE tokens ADD COLUMN note TEXT;" },
        };

        assert_int_equal(store_migrate_to(f->st, 2, steps, 2, &err), 0);
        assert_int_equal(store_schema_version(f->st), 2);
        assert_int_equal(table_exists(f->st, "extra"), 1);
        assert_int_equal(table_exists(f->st, "must_not_run"), 0);
        /* data survives, and running again is a no-op */
        assert_int_equal(store_migrate_to(f->st, 2, steps, 2, &err), 0);
        /* this airlockd (version 1) refuses the newer database */
        assert_int_equal(reopen(f, &err), -EPROTO);
}

static void test_migration_failed_step_rolls_back(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        const struct store_migration steps[] = {
                { "" },
                { "CREATE TABLE half (x); THIS IS NOT SQL;" },
        };

        assert_true(store_migrate_to(f->st, 2, steps, 2, &err) < 0);
        assert_non_null(strstr(err.msg, "from version 1 to 2"));
        assert_int_equal(store_schema_version(f->st), 1);
        assert_int_equal(table_exists(f->st, "half"), 0);
}

static void test_migration_from_zero(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        const struct store_migration steps[] = {
                { "CREATE TABLE a (x);" },
                { "CREATE TABLE b (x);" },
        };
        struct store scratch = { 0 };

        snprintf(scratch.path, sizeof(scratch.path), "%s/scratch.db", f->dir);
        assert_int_equal(sqlite3_open(scratch.path, &scratch.db), SQLITE_OK);
        assert_int_equal(store_migrate_to(&scratch, 1, steps, 2, &err), 0);
        assert_int_equal(store_schema_version(&scratch), 1);
        assert_int_equal(table_exists(&scratch, "b"), 0);
        assert_int_equal(store_migrate_to(&scratch, 2, steps, 2, &err), 0);
        assert_int_equal(table_exists(&scratch, "b"), 1);
        assert_int_equal(store_migrate_to(&scratch, 3, steps, 2, &err), -EINVAL);
        sqlite3_close(scratch.db);
}

/* --- ids -------------------------------------------------------------------- */

static void test_ids(void **state)
{
        char a[STORE_ID_MAX], b[STORE_ID_MAX];

        assert_int_equal(store_id_generate("vol", a), 0);
        assert_int_equal(store_id_generate("vol", b), 0);
        assert_int_equal(strlen(a), 24);
        assert_int_equal(strncmp(a, "vol_", 4), 0);
        assert_string_not_equal(a, b);
        for (const char *p = a + 4; *p; p++)
                assert_non_null(strchr("0123456789abcdefghjkmnpqrstuvwxyz", *p));
        assert_int_equal(store_id_generate("", a), -EINVAL);
        assert_int_equal(store_id_generate("waytoolongprefix_waytoolongprefix", a), -EINVAL);
}

/* --- tokens ----------------------------------------------------------------- */

static void test_tokens(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        char secret[STORE_TOKEN_MAX + 1], secret2[STORE_TOKEN_MAX + 1];
        struct store_token t, u, c;

        assert_int_equal(store_token_count(f->st), 0);
        assert_int_equal(store_token_create(f->st, "alice", true, secret, &t, &err), 0);
        assert_int_equal(strlen(secret), 44);
        assert_int_equal(strncmp(secret, "ddo_", 4), 0);
        assert_int_equal(strspn(secret + 4, "0123456789abcdefghijklmnopqrstuvwxyz"), 40);
        assert_int_equal(strncmp(t.id, "tok_", 4), 0);
        assert_true(t.admin);
        assert_int_equal(store_token_check(f->st, secret, &c), 0);
        assert_string_equal(c.id, t.id);
        assert_string_equal(c.name, "alice");
        assert_true(c.admin);
        /* a wrong secret, one character off, an empty one, a too long one */
        char wrong[STORE_TOKEN_MAX + 1];
        memcpy(wrong, secret, sizeof(wrong));
        wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
        assert_int_equal(store_token_check(f->st, wrong, &c), -ENOENT);
        assert_int_equal(store_token_check(f->st, "", &c), -ENOENT);
        assert_int_equal(store_token_check(f->st, NULL, &c), -ENOENT);
        char huge[200];
        memset(huge, 'a', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        assert_int_equal(store_token_check(f->st, huge, &c), -ENOENT);
        /* names: unique among live tokens, a restricted alphabet */
        memset(&err, 0, sizeof(err));
        assert_int_equal(store_token_create(f->st, "alice", false, secret2, &u, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "alice"));
        memset(&err, 0, sizeof(err));
        assert_int_equal(store_token_create(f->st, "bad name", false, secret2, &u, &err), -EINVAL);
        assert_int_equal(store_token_create(f->st, "", false, secret2, &u, &err), -EINVAL);
        char long_name[STORE_NAME_MAX + 2];
        memset(long_name, 'n', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        assert_int_equal(store_token_create(f->st, long_name, false, secret2, &u, &err), -EINVAL);
        long_name[STORE_NAME_MAX] = '\0';
        assert_int_equal(store_token_create(f->st, long_name, false, secret2, &u, NULL), 0);
        assert_int_equal(store_token_create(f->st, "bob.ci-1_x", false, secret2, &u, &err), 0);
        assert_false(u.admin);
        assert_int_equal(store_token_count(f->st), 3);
        assert_int_equal(store_token_check(f->st, secret2, &c), 0);
        assert_string_equal(c.name, "bob.ci-1_x");
        assert_false(c.admin);
        /* the secret itself is not in the database */
        sqlite3_stmt *s;
        assert_int_equal(sqlite3_prepare_v2(f->st->db, "SELECT count(*) FROM tokens WHERE CAST(hash AS TEXT) = ?1"
                                            " OR name = ?1 OR id = ?1", -1, &s, NULL), SQLITE_OK);
        sqlite3_bind_text(s, 1, secret, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(s, 0), 0);
        sqlite3_finalize(s);
}

static void test_token_list_and_revoke(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        char sa[STORE_TOKEN_MAX + 1], sb[STORE_TOKEN_MAX + 1], sc[STORE_TOKEN_MAX + 1];
        struct store_token a, b;

        assert_int_equal(store_token_create(f->st, "admin", true, sa, &a, &err), 0);
        assert_int_equal(store_token_create(f->st, "ci", false, sb, &b, &err), 0);
        json_t *list = store_token_list(f->st);
        assert_int_equal(json_array_size(list), 2);
        json_t *e = json_array_get(list, 0);
        assert_string_equal(json_string_value(json_object_get(e, "name")), "admin");
        assert_true(json_is_true(json_object_get(e, "admin")));
        assert_string_equal(json_string_value(json_object_get(e, "id")), a.id);
        const char *when = json_string_value(json_object_get(e, "createdAt"));
        assert_int_equal(strlen(when), 24);
        assert_int_equal(when[23], 'Z');
        assert_null(json_object_get(e, "hash"));
        json_decref(list);

        /* by id; then the secret is refused at once */
        assert_int_equal(store_token_revoke(f->st, b.id, &err), 0);
        assert_int_equal(store_token_check(f->st, sb, NULL), -ENOENT);
        assert_int_equal(store_token_count(f->st), 1);
        assert_int_equal(store_token_revoke(f->st, "ci", &err), -ENOENT);
        /* the name is free again, with a new secret; the old one stays dead */
        assert_int_equal(store_token_create(f->st, "ci", false, sc, &b, &err), 0);
        assert_int_equal(store_token_check(f->st, sb, NULL), -ENOENT);
        assert_int_equal(store_token_check(f->st, sc, NULL), 0);
        /* by name */
        assert_int_equal(store_token_revoke(f->st, "ci", &err), 0);
        assert_int_equal(store_token_check(f->st, sc, NULL), -ENOENT);
        /* the last admin stays */
        memset(&err, 0, sizeof(err));
        assert_int_equal(store_token_revoke(f->st, "admin", &err), -EPERM);
        assert_non_null(strstr(err.msg, "last admin"));
        assert_int_equal(store_token_check(f->st, sa, NULL), 0);
        struct store_token a2;
        assert_int_equal(store_token_create(f->st, "admin2", true, sb, &a2, &err), 0);
        assert_int_equal(store_token_revoke(f->st, "admin", &err), 0);
        assert_int_equal(store_token_check(f->st, sa, NULL), -ENOENT);
        /* revocations survive a reopen */
        assert_int_equal(reopen(f, &err), 0);
        assert_int_equal(store_token_check(f->st, sa, NULL), -ENOENT);
        assert_int_equal(store_token_check(f->st, sb, NULL), 0);
}

static void test_token_import(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        struct store_token t;

        assert_int_equal(store_token_import(f->st, "admin", "ddo_legacysecretfromthetokenfile", true, &t, &err), 0);
        assert_true(t.admin);
        assert_int_equal(reopen(f, &err), 0);
        struct store_token c;
        assert_int_equal(store_token_check(f->st, "ddo_legacysecretfromthetokenfile", &c), 0);
        assert_string_equal(c.name, "admin");
        assert_string_equal(c.id, t.id);
        assert_int_equal(store_token_import(f->st, "admin", "ddo_other", true, &t, &err), -EEXIST);
        assert_int_equal(store_token_import(f->st, "x", "", false, &t, &err), -EINVAL);
}

/* --- sandboxes -------------------------------------------------------------- */

static void add_sandbox(struct store *st, const char *id, const char *tok, int64_t created, json_t *labels)
{
        struct store_sandbox sb = { .created_ms = created, .labels = labels,
                                    .state = json_pack("{s:i}", "pid", 42) };
        snprintf(sb.id, sizeof(sb.id), "%s", id);
        snprintf(sb.token_id, sizeof(sb.token_id), "%s", tok);
        assert_int_equal(store_sandbox_insert(st, &sb, NULL), 0);
        store_sandbox_clear(&sb);
}

static int count_running(void *arg, const struct store_sandbox *sb)
{
        int *n = arg;
        assert_int_equal(json_integer_value(json_object_get(sb->state, "pid")), 42);
        assert_int_equal(sb->stopped_ms, 0);
        (*n)++;
        return 0;
}

static int stop_at_second(void *arg, const struct store_sandbox *sb)
{
        int *n = arg;
        return ++*n == 2 ? -ECANCELED : 0;
}

static void test_sandboxes(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        struct store_sandbox sb = { 0 };

        add_sandbox(f->st, "sbx_ord_aaaaaaaaaaaaaaaaaaaa", "tok_a", 1700000000123, json_pack("{s:s}", "env", "dev"));
        add_sandbox(f->st, "sbx_ams_bbbbbbbbbbbbbbbbbbbb", "tok_a", 1700000001000, json_pack("{s:s,s:s}", "env",
                                                                                           "prod", "team", "x"));
        add_sandbox(f->st, "sbx_ord_cccccccccccccccccccc", "tok_b", 1700000002000, NULL);
        /* a duplicate id */
        struct store_sandbox dup = { .id = "sbx_ord_cccccccccccccccccccc", .token_id = "tok_b" };
        assert_int_equal(store_sandbox_insert(f->st, &dup, &err), -EEXIST);

        assert_int_equal(store_sandbox_get(f->st, "sbx_ord_aaaaaaaaaaaaaaaaaaaa", &sb), 0);
        assert_string_equal(sb.token_id, "tok_a");
        assert_int_equal(sb.created_ms, 1700000000123);
        assert_string_equal(json_string_value(json_object_get(sb.labels, "env")), "dev");
        store_sandbox_clear(&sb);
        assert_int_equal(store_sandbox_get(f->st, "sbx_ord_nothere", &sb), -ENOENT);

        /* state and labels */
        json_t *st2 = json_pack("{s:i,s:s}", "pid", 43, "cfg", "x");
        assert_int_equal(store_sandbox_set_state(f->st, "sbx_ord_aaaaaaaaaaaaaaaaaaaa", st2, &err), 0);
        json_decref(st2);
        json_t *l2 = json_pack("{s:s}", "env", "staging");
        assert_int_equal(store_sandbox_set_labels(f->st, "sbx_ord_aaaaaaaaaaaaaaaaaaaa", l2, &err), 0);
        assert_int_equal(store_sandbox_set_labels(f->st, "sbx_ord_nothere", l2, &err), -ENOENT);
        json_decref(l2);
        assert_int_equal(store_sandbox_get(f->st, "sbx_ord_aaaaaaaaaaaaaaaaaaaa", &sb), 0);
        assert_int_equal(json_integer_value(json_object_get(sb.state, "pid")), 43);
        assert_string_equal(json_string_value(json_object_get(sb.labels, "env")), "staging");
        store_sandbox_clear(&sb);
        st2 = json_pack("{s:i}", "pid", 42);
        assert_int_equal(store_sandbox_set_state(f->st, "sbx_ord_aaaaaaaaaaaaaaaaaaaa", st2, &err), 0);
        json_decref(st2);

        /* listing: newest first, per token, by label */
        json_t *all = store_sandbox_list(f->st, NULL, NULL);
        assert_int_equal(json_array_size(all), 3);
        assert_string_equal(json_string_value(json_object_get(json_array_get(all, 0), "id")),
                            "sbx_ord_cccccccccccccccccccc");
        json_decref(all);
        json_t *mine = store_sandbox_list(f->st, "tok_a", NULL);
        assert_int_equal(json_array_size(mine), 2);
        json_t *e = json_array_get(mine, 0);
        assert_string_equal(json_string_value(json_object_get(e, "id")), "sbx_ams_bbbbbbbbbbbbbbbbbbbb");
        assert_string_equal(json_string_value(json_object_get(e, "region")), "ams");
        assert_string_equal(json_string_value(json_object_get(e, "status")), "running");
        assert_true(json_is_null(json_object_get(e, "stoppedAt")));
        assert_string_equal(json_string_value(json_object_get(e, "createdAt")), "2023-11-14T22:13:21.000Z");
        e = json_array_get(mine, 1);
        assert_string_equal(json_string_value(json_object_get(e, "createdAt")), "2023-11-14T22:13:20.123Z");
        json_decref(mine);
        json_t *want = json_pack("{s:s}", "env", "prod");
        json_t *byl = store_sandbox_list(f->st, "tok_a", want);
        assert_int_equal(json_array_size(byl), 1);
        assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(byl, 0), "labels"),
                                                              "team")), "x");
        json_decref(byl);
        json_decref(want);
        want = json_pack("{s:s,s:s}", "env", "prod", "team", "y");
        byl = store_sandbox_list(f->st, NULL, want);
        assert_int_equal(json_array_size(byl), 0);
        json_decref(byl);
        json_decref(want);
        json_t *none = store_sandbox_list(f->st, "tok_zzz", NULL);
        assert_int_equal(json_array_size(none), 0);
        json_decref(none);

        /* stopped: out of the running walk, listed as stopped, its state
         * (a secret's value among it) gone from the database */
        json_t *secret = json_pack("{s:[{s:s,s:s}]}", "secrets", "name", "K", "value", "the-real-value");
        assert_int_equal(store_sandbox_set_state(f->st, "sbx_ord_cccccccccccccccccccc", secret, &err), 0);
        json_decref(secret);
        assert_int_equal(store_sandbox_stopped(f->st, "sbx_ord_cccccccccccccccccccc", 1700000009000, &err), 0);
        assert_int_equal(store_sandbox_get(f->st, "sbx_ord_cccccccccccccccccccc", &sb), 0);
        assert_int_equal(json_object_size(sb.state), 0);
        store_sandbox_clear(&sb);
        assert_int_equal(store_sandbox_stopped(f->st, "sbx_ord_cccccccccccccccccccc", 1700000099000, &err), 0);
        assert_int_equal(store_sandbox_stopped(f->st, "sbx_ord_nothere", 1700000009000, &err), -ENOENT);
        int n = 0;
        assert_int_equal(store_sandbox_foreach_running(f->st, count_running, &n), 0);
        assert_int_equal(n, 2);
        n = 0;
        assert_int_equal(store_sandbox_foreach_running(f->st, stop_at_second, &n), -ECANCELED);
        json_t *b = store_sandbox_list(f->st, "tok_b", NULL);
        e = json_array_get(b, 0);
        assert_string_equal(json_string_value(json_object_get(e, "status")), "stopped");
        assert_string_equal(json_string_value(json_object_get(e, "stoppedAt")), "2023-11-14T22:13:29.000Z");
        assert_true(json_is_object(json_object_get(e, "labels")));
        json_decref(b);
        /* all of it survives a reopen */
        assert_int_equal(reopen(f, &err), 0);
        n = 0;
        assert_int_equal(store_sandbox_foreach_running(f->st, count_running, &n), 0);
        assert_int_equal(n, 2);
}

static void test_sandbox_prune(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        char id[STORE_ID_MAX];

        add_sandbox(f->st, "sbx_ord_livelivelivelivelive", "tok_a", 1, NULL);
        assert_int_equal(store_exec(f->st, "BEGIN", &err), 0);
        for (int i = 0; i < STORE_MAX_STOPPED + 5; i++) {
                snprintf(id, sizeof(id), "sbx_ord_%020d", i);
                add_sandbox(f->st, id, "tok_a", 100 + i, NULL);
        }
        assert_int_equal(store_exec(f->st, "COMMIT", &err), 0);
        for (int i = 0; i < STORE_MAX_STOPPED + 5; i++) {
                snprintf(id, sizeof(id), "sbx_ord_%020d", i);
                assert_int_equal(store_sandbox_stopped(f->st, id, 10000 + i, &err), 0);
        }
        json_t *all = store_sandbox_list(f->st, NULL, NULL);
        assert_int_equal(json_array_size(all), STORE_MAX_STOPPED + 1);
        json_decref(all);
        struct store_sandbox sb = { 0 };
        /* the five oldest stopped are gone, the newest and the live one stay */
        for (int i = 0; i < 5; i++) {
                snprintf(id, sizeof(id), "sbx_ord_%020d", i);
                assert_int_equal(store_sandbox_get(f->st, id, &sb), -ENOENT);
        }
        snprintf(id, sizeof(id), "sbx_ord_%020d", 5);
        assert_int_equal(store_sandbox_get(f->st, id, &sb), 0);
        store_sandbox_clear(&sb);
        assert_int_equal(store_sandbox_get(f->st, "sbx_ord_livelivelivelivelive", &sb), 0);
        assert_int_equal(sb.stopped_ms, 0);
        store_sandbox_clear(&sb);
}

/* --- volumes and snapshots ------------------------------------------------- */

static void add_volume(struct store *st, const char *slug, const char *tok, struct store_volume *ret)
{
        struct store_volume v = { .capacity = 1ull << 30, .created_ms = 5 };
        assert_int_equal(store_id_generate("vol", v.id), 0);
        snprintf(v.slug, sizeof(v.slug), "%s", slug);
        snprintf(v.token_id, sizeof(v.token_id), "%s", tok);
        snprintf(v.region, sizeof(v.region), "ord");
        assert_int_equal(store_volume_insert(st, &v, NULL), 0);
        if (ret)
                *ret = v;
}

static void test_volumes(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        struct store_volume a, b, got;

        add_volume(f->st, "data", "tok_a", &a);
        add_volume(f->st, "data", "tok_b", &b); /* slugs are per token */
        struct store_volume dup = a;
        assert_int_equal(store_id_generate("vol", dup.id), 0);
        assert_int_equal(store_volume_insert(f->st, &dup, &err), -EEXIST);
        assert_non_null(strstr(err.msg, "data"));

        assert_int_equal(store_volume_get(f->st, "tok_a", "data", &got), 0);
        assert_string_equal(got.id, a.id);
        assert_int_equal(got.capacity, 1ull << 30);
        assert_int_equal(store_volume_get(f->st, "tok_b", "data", &got), 0);
        assert_string_equal(got.id, b.id);
        assert_int_equal(store_volume_get(f->st, "tok_a", b.id, &got), -ENOENT); /* another token's */
        assert_int_equal(store_volume_get(f->st, NULL, b.id, &got), 0);
        assert_int_equal(store_volume_get(f->st, "tok_a", "nothere", &got), -ENOENT);

        /* attach: one sandbox at a time */
        assert_int_equal(store_volume_attach(f->st, a.id, "sbx_ord_one", &err), 0);
        memset(&err, 0, sizeof(err));
        assert_int_equal(store_volume_attach(f->st, a.id, "sbx_ord_two", &err), -EBUSY);
        assert_non_null(strstr(err.msg, "sbx_ord_one"));
        memset(&err, 0, sizeof(err));
        assert_int_equal(store_volume_delete(f->st, a.id, &err), -EBUSY);
        assert_non_null(strstr(err.msg, "sbx_ord_one"));
        assert_int_equal(store_volume_attach(f->st, "vol_nothere", "sbx_ord_one", &err), -ENOENT);
        assert_int_equal(store_volume_attach(f->st, a.id, NULL, &err), 0);
        assert_int_equal(store_volume_attach(f->st, a.id, "sbx_ord_two", &err), 0);
        assert_int_equal(store_volume_get(f->st, NULL, a.id, &got), 0);
        assert_string_equal(got.attached_to, "sbx_ord_two");
        /* a sandbox that stops lets go of its volumes */
        add_sandbox(f->st, "sbx_ord_two", "tok_a", 1, NULL);
        assert_int_equal(store_sandbox_stopped(f->st, "sbx_ord_two", 2, &err), 0);
        assert_int_equal(store_volume_get(f->st, NULL, a.id, &got), 0);
        assert_string_equal(got.attached_to, "");

        assert_int_equal(store_volume_delete(f->st, a.id, &err), 0);
        assert_int_equal(store_volume_get(f->st, NULL, a.id, &got), -ENOENT);
        assert_int_equal(store_volume_delete(f->st, a.id, &err), -ENOENT);
        add_volume(f->st, "data", "tok_a", NULL); /* the slug is free again */
}

static void test_volume_json(void **state)
{
        struct fixture *f = *state;
        struct store_volume v;
        char path[256];

        add_volume(f->st, "disk", "tok_a", &v);
        json_t *j = store_volume_json(f->st, &v);
        assert_string_equal(json_string_value(json_object_get(j, "id")), v.id);
        assert_string_equal(json_string_value(json_object_get(j, "slug")), "disk");
        assert_string_equal(json_string_value(json_object_get(j, "region")), "ord");
        assert_int_equal(json_integer_value(json_object_get(j, "capacity")), 1ll << 30);
        assert_int_equal(json_integer_value(json_object_get(j, "estimated_allocated_size")), 0);
        assert_int_equal(json_integer_value(json_object_get(j, "estimated_flattened_size")), 1ll << 30);
        assert_true(json_is_false(json_object_get(j, "is_bootable")));
        assert_true(json_is_null(json_object_get(j, "base_snapshot")));
        json_decref(j);
        /* the image's allocated blocks */
        snprintf(path, sizeof(path), "%s/volumes", f->dir);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(path, sizeof(path), "%s/volumes/%s.img", f->dir, v.id);
        char block[65536];
        memset(block, 1, sizeof(block));
        write_file(path, block, sizeof(block), 0, true);
        j = store_volume_json(f->st, &v);
        assert_true(json_integer_value(json_object_get(j, "estimated_allocated_size")) >= 65536);
        json_decref(j);
        /* from a snapshot: its id and slug */
        struct store_snapshot s = { .slug = "base", .token_id = "tok_a", .region = "ord", .bootable = true };
        assert_int_equal(store_id_generate("snp", s.id), 0);
        assert_int_equal(store_snapshot_insert(f->st, &s, NULL), 0);
        snprintf(v.base_snapshot, sizeof(v.base_snapshot), "%s", s.id);
        v.bootable = true;
        j = store_volume_json(f->st, &v);
        assert_true(json_is_true(json_object_get(j, "is_bootable")));
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "base_snapshot"), "slug")), "base");
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "base_snapshot"), "id")), s.id);
        json_decref(j);
}

static void test_snapshots(void **state)
{
        struct fixture *f = *state;
        struct al_error err = { 0 };
        struct store_snapshot s = { .slug = "snap1", .token_id = "tok_a", .region = "ams", .volume_id = "vol_x",
                                    .volume_slug = "data", .bootable = true, .allocated_size = 123,
                                    .flattened_size = 456, .created_ms = 9 };
        struct store_snapshot got;

        assert_int_equal(store_id_generate("snp", s.id), 0);
        assert_int_equal(store_snapshot_insert(f->st, &s, &err), 0);
        struct store_snapshot dup = s;
        assert_int_equal(store_id_generate("snp", dup.id), 0);
        assert_int_equal(store_snapshot_insert(f->st, &dup, &err), -EEXIST);
        snprintf(dup.token_id, sizeof(dup.token_id), "tok_b");
        assert_int_equal(store_snapshot_insert(f->st, &dup, &err), 0);
        assert_int_equal(store_snapshot_get(f->st, "tok_a", "snap1", &got), 0);
        assert_string_equal(got.id, s.id);
        assert_int_equal(got.allocated_size, 123);
        assert_int_equal(store_snapshot_get(f->st, "tok_a", dup.id, &got), -ENOENT);
        json_t *j = store_snapshot_json(&got);
        assert_string_equal(json_string_value(json_object_get(j, "region")), "ams");
        assert_int_equal(json_integer_value(json_object_get(j, "allocated_size")), 123);
        assert_int_equal(json_integer_value(json_object_get(j, "flattened_size")), 456);
        assert_true(json_is_true(json_object_get(j, "is_bootable")));
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "volume"), "slug")), "data");
        json_decref(j);
        got.volume_id[0] = '\0';
        j = store_snapshot_json(&got);
        assert_true(json_is_null(json_object_get(j, "volume")));
        json_decref(j);
        assert_int_equal(store_snapshot_delete(f->st, s.id, &err), 0);
        assert_int_equal(store_snapshot_get(f->st, NULL, s.id, &got), -ENOENT);
        assert_int_equal(store_snapshot_delete(f->st, s.id, &err), -ENOENT);
}

static void test_pagination(void **state)
{
        struct fixture *f = *state;
        char next[STORE_ID_MAX], slug[32];
        json_t *seen = json_object();

        for (int i = 0; i < 25; i++) {
                snprintf(slug, sizeof(slug), i % 5 ? "vol-%d" : "special-%d", i);
                add_volume(f->st, slug, "tok_a", NULL);
        }
        add_volume(f->st, "other-token", "tok_b", NULL);
        /* pages of 10: 10, 10, 5; ordered by id; no overlap */
        char cursor[STORE_ID_MAX] = "", prev[STORE_ID_MAX] = "";
        int pages = 0;
        do {
                json_t *page = store_volume_list(f->st, "tok_a", NULL, cursor, 10, next);
                size_t i;
                json_t *e;
                assert_int_equal(json_array_size(page), pages < 2 ? 10 : 5);
                json_array_foreach(page, i, e) {
                        const char *id = json_string_value(json_object_get(e, "id"));
                        assert_true(strcmp(id, prev) > 0);
                        snprintf(prev, sizeof(prev), "%s", id);
                        assert_null(json_object_get(seen, id));
                        json_object_set_new(seen, id, json_true());
                        assert_non_null(json_object_get(e, "capacity"));
                }
                if (next[0])
                        assert_string_equal(next, prev);
                json_decref(page);
                snprintf(cursor, sizeof(cursor), "%s", next);
                pages++;
        } while (next[0] && pages < 10);
        assert_int_equal(pages, 3);
        assert_int_equal(json_object_size(seen), 25);
        json_decref(seen);
        /* an exact fit has no next page */
        json_t *page = store_volume_list(f->st, "tok_a", NULL, NULL, 25, next);
        assert_int_equal(json_array_size(page), 25);
        assert_string_equal(next, "");
        json_decref(page);
        /* search: a substring of the slug, or of the id */
        page = store_volume_list(f->st, "tok_a", "special", "", 100, next);
        assert_int_equal(json_array_size(page), 5);
        const char *an_id = json_string_value(json_object_get(json_array_get(page, 2), "id"));
        json_t *by_id = store_volume_list(f->st, "tok_a", an_id + 4, "", 100, next);
        assert_int_equal(json_array_size(by_id), 1);
        json_decref(by_id);
        json_decref(page);
        page = store_volume_list(f->st, "tok_a", "other", "", 100, next); /* not this token's */
        assert_int_equal(json_array_size(page), 0);
        json_decref(page);
        page = store_volume_list(f->st, NULL, NULL, NULL, 0, next); /* 0: the cap */
        assert_int_equal(json_array_size(page), 26);
        json_decref(page);
        page = store_volume_list(f->st, NULL, NULL, NULL, 100000, next);
        assert_int_equal(json_array_size(page), 26);
        json_decref(page);
        /* snapshots page the same way */
        for (int i = 0; i < 3; i++) {
                struct store_snapshot s = { .token_id = "tok_a", .region = "ord" };
                snprintf(s.slug, sizeof(s.slug), "snapi%d", i); /* no i in ids */
                assert_int_equal(store_id_generate("snp", s.id), 0);
                assert_int_equal(store_snapshot_insert(f->st, &s, NULL), 0);
        }
        page = store_snapshot_list(f->st, "tok_a", NULL, NULL, 2, next);
        assert_int_equal(json_array_size(page), 2);
        assert_true(next[0] != '\0');
        json_decref(page);
        page = store_snapshot_list(f->st, "tok_a", NULL, next, 2, next); /* cursor and result alias */
        assert_int_equal(json_array_size(page), 1);
        assert_string_equal(next, "");
        json_decref(page);
        page = store_snapshot_list(f->st, "tok_a", "i1", NULL, 2, next);
        assert_int_equal(json_array_size(page), 1);
        json_decref(page);
}


/* --- the REST helpers and the tokens route (src/api/rest.c, tokens.c) ------ */

static void test_query_get(void **state)
{
        char buf[16];
        const char *q = "limit=10&cursor=vol_x&search=a%20b+c&labels%5Benv%5D=prod&flag&bad=%zz&nul=a%00b&limit=99";

        assert_string_equal(api_query_get(q, "limit", buf, sizeof(buf)), "10"); /* the first wins */
        assert_string_equal(api_query_get(q, "cursor", buf, sizeof(buf)), "vol_x");
        assert_string_equal(api_query_get(q, "search", buf, sizeof(buf)), "a b c");
        assert_string_equal(api_query_get(q, "labels[env]", buf, sizeof(buf)), "prod");
        assert_string_equal(api_query_get(q, "flag", buf, sizeof(buf)), "");
        assert_null(api_query_get(q, "bad", buf, sizeof(buf)));
        assert_null(api_query_get(q, "nul", buf, sizeof(buf)));
        assert_null(api_query_get(q, "labels", buf, sizeof(buf)));
        assert_null(api_query_get(q, "missing", buf, sizeof(buf)));
        assert_null(api_query_get(NULL, "limit", buf, sizeof(buf)));
        assert_null(api_query_get("a=0123456789abcdef", "a", buf, sizeof(buf))); /* 16 + NUL > 16 */
        assert_string_equal(api_query_get("a=0123456789abcde", "a", buf, sizeof(buf)), "0123456789abcde");
        assert_null(api_query_get("a=%4", "a", buf, sizeof(buf)));
        assert_string_equal(api_query_get("a=%4a%4A", "a", buf, sizeof(buf)), "JJ");
}

static void test_rest_error(void **state)
{
        struct api_rest_res res = { .body = json_object() };

        snprintf(res.link, sizeof(res.link), "<x>; rel=\"next\"");
        api_rest_error(&res, 409, "VOLUME_IN_USE", "volume %s is in use", "data");
        assert_int_equal(res.status, 409);
        assert_string_equal(json_string_value(json_object_get(res.body, "code")), "VOLUME_IN_USE");
        assert_string_equal(json_string_value(json_object_get(res.body, "message")), "volume data is in use");
        assert_string_equal(res.link, "");
        json_decref(res.body);
}

static int route(struct store *st, const struct store_token *who, int method, const char *path, const char *body,
                 json_t **ret)
{
        struct api_rest_req req = { .method = method, .path = path, .body = body, .body_len = body ? strlen(body) : 0,
                                    .token = who, .base_url = "http://127.0.0.1:1" };
        struct api_rest_res res = { 0 };

        if (!api_tokens_route(st, &req, &res))
                return 0;
        *ret = res.body;
        return res.status;
}

static void test_tokens_route(void **state)
{
        struct fixture *f = *state;
        char sa[STORE_TOKEN_MAX + 1], sb[STORE_TOKEN_MAX + 1];
        struct store_token admin, user, checked;
        json_t *b = NULL;

        assert_int_equal(store_token_create(f->st, "admin", true, sa, &admin, NULL), 0);
        assert_int_equal(store_token_create(f->st, "user", false, sb, &user, NULL), 0);
        /* not ours */
        assert_int_equal(route(f->st, &admin, HTTP_GET, "/api/v2/volumes", NULL, &b), 0);
        assert_int_equal(route(f->st, &admin, HTTP_GET, "/api/airlock/v1/tokensx", NULL, &b), 0);
        assert_int_equal(route(f->st, &admin, HTTP_DELETE, "/api/airlock/v1/tokens/a/b", NULL, &b), 0);
        /* a non-admin may do none of it */
        const char *paths[] = { "/api/airlock/v1/tokens", "/api/airlock/v1/tokens/admin" };
        int methods[] = { HTTP_GET, HTTP_POST, HTTP_DELETE };
        for (size_t i = 0; i < 2; i++)
                for (size_t m = 0; m < 3; m++) {
                        assert_int_equal(route(f->st, &user, methods[m], paths[i], "{\"name\":\"x\"}", &b), 403);
                        assert_string_equal(json_string_value(json_object_get(b, "code")), "FORBIDDEN");
                        json_decref(b);
                }
        assert_int_equal(route(f->st, NULL, HTTP_GET, paths[0], NULL, &b), 403);
        json_decref(b);
        assert_int_equal(store_token_count(f->st), 2);

        /* create: 201 with the secret, which then works */
        assert_int_equal(route(f->st, &admin, HTTP_POST, paths[0], "{\"name\":\"ci\",\"admin\":false}", &b), 201);
        const char *secret = json_string_value(json_object_get(b, "token"));
        assert_non_null(secret);
        assert_int_equal(store_token_check(f->st, secret, &checked), 0);
        assert_string_equal(checked.name, "ci");
        assert_false(checked.admin);
        assert_string_equal(json_string_value(json_object_get(b, "id")), checked.id);
        assert_true(json_is_false(json_object_get(b, "admin")));
        assert_int_equal(strlen(json_string_value(json_object_get(b, "createdAt"))), 24);
        json_decref(b);
        assert_int_equal(route(f->st, &admin, HTTP_POST, paths[0], "{\"name\":\"ci\"}", &b), 409);
        json_decref(b);
        assert_int_equal(route(f->st, &admin, HTTP_POST, paths[0], "{\"name\":\"no/slash\"}", &b), 400);
        json_decref(b);
        assert_int_equal(route(f->st, &admin, HTTP_POST, paths[0], "{\"name\":\"x\",\"admin\":\"yes\"}", &b), 400);
        json_decref(b);
        assert_int_equal(route(f->st, &admin, HTTP_POST, paths[0], "not json", &b), 400);
        json_decref(b);
        assert_int_equal(route(f->st, &admin, HTTP_POST, paths[0], NULL, &b), 400);
        json_decref(b);
        /* list: no secrets, no hashes */
        assert_int_equal(route(f->st, &admin, HTTP_GET, paths[0], NULL, &b), 200);
        assert_int_equal(json_array_size(b), 3);
        char *text = json_dumps(b, 0);
        assert_null(strstr(text, "ddo_"));
        assert_null(strstr(text, "hash"));
        free(text);
        json_decref(b);
        /* revoke: unknown, the last admin, then one by name */
        assert_int_equal(route(f->st, &admin, HTTP_DELETE, "/api/airlock/v1/tokens/nobody", NULL, &b), 404);
        json_decref(b);
        assert_int_equal(route(f->st, &admin, HTTP_DELETE, "/api/airlock/v1/tokens/admin", NULL, &b), 409);
        json_decref(b);
        assert_int_equal(store_token_check(f->st, sa, NULL), 0);
        assert_int_equal(route(f->st, &admin, HTTP_DELETE, "/api/airlock/v1/tokens/user", NULL, &b), 200);
        json_decref(b);
        assert_int_equal(store_token_check(f->st, sb, NULL), -ENOENT);
        assert_int_equal(route(f->st, &admin, HTTP_PUT, paths[0], NULL, &b), 405);
        json_decref(b);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_open_creates),
                T(test_open_loose_mode_tightened),
                T(test_open_garbage),
                T(test_open_corrupt_pages),
                T(test_open_truncated),
                T(test_open_newer_version),
                T(test_open_unreadable),
                T(test_missing_db_with_marker),
                T(test_swapped_db),
                T(test_emptied_db),
                T(test_missing_marker_rewritten),
                T(test_migration_extra_step),
                T(test_migration_failed_step_rolls_back),
                T(test_migration_from_zero),
                T(test_ids),
                T(test_tokens),
                T(test_token_list_and_revoke),
                T(test_token_import),
                T(test_sandboxes),
                T(test_sandbox_prune),
                T(test_volumes),
                T(test_volume_json),
                T(test_snapshots),
                T(test_pagination),
                cmocka_unit_test(test_query_get),
                cmocka_unit_test(test_rest_error),
                T(test_tokens_route),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
