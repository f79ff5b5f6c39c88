/* SPDX-License-Identifier: Apache-2.0 */
/* Named bearer tokens. Only a SHA-256 of each secret is kept: a copy of the
 * database does not let anyone in. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/random.h>

#include "store_internal.h"
#include "common/cleanup.h"

#define TOKEN_PREFIX "ddo_"
#define TOKEN_RANDOM 40
#define HASH_LEN 32

static const char secret_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static int hash_secret(const char *secret, unsigned char out[HASH_LEN])
{
        unsigned int n = 0;

        if (!EVP_Digest(secret, strlen(secret), out, &n, EVP_sha256(), NULL) || n != HASH_LEN)
                return -EIO;
        return 0;
}

/* 40 characters of [0-9a-z], each drawn without bias (bytes >= 252 are redrawn). */
static int new_secret(char ret[STORE_TOKEN_MAX + 1])
{
        unsigned char rnd[64];
        size_t n = 0;

        memcpy(ret, TOKEN_PREFIX, strlen(TOKEN_PREFIX));
        while (n < TOKEN_RANDOM) {
                if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                        return -EIO;
                for (size_t i = 0; i < sizeof(rnd) && n < TOKEN_RANDOM; i++)
                        if (rnd[i] < 252)
                                ret[strlen(TOKEN_PREFIX) + n++] = secret_alphabet[rnd[i] % 36];
        }
        ret[strlen(TOKEN_PREFIX) + TOKEN_RANDOM] = '\0';
        return 0;
}

static bool name_valid(const char *name)
{
        size_t n = strlen(name);

        if (n == 0 || n > STORE_NAME_MAX)
                return false;
        return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static int insert_token(struct store *st, const char *name, const char *secret, bool admin, struct store_token *ret,
                        struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        unsigned char hash[HASH_LEN];
        struct store_token t = { .admin = admin, .created_ms = store_now_ms() };
        int r;

        if (!name_valid(name))
                return al_error_setx(err, EINVAL, "token name '%.*s' is not 1 to %d of A-Z a-z 0-9 . _ -",
                                     STORE_NAME_MAX, name, STORE_NAME_MAX);
        if (!*secret || strlen(secret) > STORE_TOKEN_MAX)
                return al_error_setx(err, EINVAL, "token '%s': a secret must have 1 to %d characters", name,
                                     STORE_TOKEN_MAX);
        if (hash_secret(secret, hash) < 0 || store_id_generate("tok", t.id) < 0)
                return al_error_setx(err, EIO, "token '%s': no hash or random bytes", name);
        snprintf(t.name, sizeof(t.name), "%s", name);
        r = store_prepare(st, "INSERT INTO tokens (id, name, hash, admin, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)", &s,
                          err);
        if (r < 0)
                return r;
        sqlite3_bind_text(s, 1, t.id, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, t.name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(s, 3, hash, HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_int(s, 4, admin);
        sqlite3_bind_int64(s, 5, t.created_ms);
        int rc = sqlite3_step(s);
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
                return al_error_setx(err, EEXIST, "a token named '%s' exists already", name);
        if (rc != SQLITE_DONE)
                return store_sqlite_error(st, rc, "adding a token", err);
        if (ret)
                *ret = t;
        return 0;
}

int store_token_create(struct store *st, const char *name, bool admin, char ret_secret[STORE_TOKEN_MAX + 1],
                       struct store_token *ret, struct al_error *err)
{
        char secret[STORE_TOKEN_MAX + 1];
        int r;

        if (new_secret(secret) < 0)
                return al_error_setx(err, EIO, "token '%s': no random bytes", name);
        r = insert_token(st, name, secret, admin, ret, err);
        if (r < 0)
                return r;
        memcpy(ret_secret, secret, sizeof(secret));
        return 0;
}

int store_token_import(struct store *st, const char *name, const char *secret, bool admin, struct store_token *ret,
                       struct al_error *err)
{
        return insert_token(st, name, secret, admin, ret, err);
}

static void row_token(sqlite3_stmt *s, struct store_token *t)
{
        store_col_text(s, 0, t->id, sizeof(t->id));
        store_col_text(s, 1, t->name, sizeof(t->name));
        t->admin = sqlite3_column_int(s, 2) != 0;
        t->created_ms = sqlite3_column_int64(s, 3);
}

/* Looked up by the hash's index: what that lookup's timing could tell is
 * about a SHA-256 of the guess, not about any secret. The hash found is
 * then compared in constant time anyway. */
int store_token_check(struct store *st, const char *secret, struct store_token *ret)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        unsigned char hash[HASH_LEN];

        if (!secret || !*secret || strlen(secret) > STORE_TOKEN_MAX || hash_secret(secret, hash) < 0)
                return -ENOENT;
        if (sqlite3_prepare_v2(st->db,
                               "SELECT id, name, admin, created_ms, hash FROM tokens"
                               " WHERE hash = ?1 AND revoked_ms IS NULL",
                               -1, &s, NULL) != SQLITE_OK)
                return -EIO;
        sqlite3_bind_blob(s, 1, hash, HASH_LEN, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_ROW)
                return -ENOENT;
        if (sqlite3_column_bytes(s, 4) != HASH_LEN || CRYPTO_memcmp(sqlite3_column_blob(s, 4), hash, HASH_LEN) != 0)
                return -ENOENT;
        if (ret)
                row_token(s, ret);
        return 0;
}

json_t *store_token_list(struct store *st)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;
        json_t *list = json_array();
        char when[32];

        if (sqlite3_prepare_v2(st->db,
                               "SELECT id, name, admin, created_ms FROM tokens WHERE revoked_ms IS NULL"
                               " ORDER BY created_ms, rowid",
                               -1, &s, NULL) != SQLITE_OK)
                return list;
        while (sqlite3_step(s) == SQLITE_ROW) {
                struct store_token t;
                row_token(s, &t);
                store_iso8601(t.created_ms, when);
                json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:s}", "id", t.id, "name", t.name, "admin", t.admin,
                                                      "createdAt", when));
        }
        return list;
}

unsigned store_token_count(struct store *st)
{
        _cleanup_stmt_ sqlite3_stmt *s = NULL;

        if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM tokens WHERE revoked_ms IS NULL", -1, &s, NULL) !=
                    SQLITE_OK ||
            sqlite3_step(s) != SQLITE_ROW)
                return 0;
        return (unsigned)sqlite3_column_int(s, 0);
}

/* One transaction: find the live token, refuse to revoke the last admin
 * (no one could manage tokens after), mark it revoked. */
static int revoke_locked(struct store *st, const char *name_or_id, struct al_error *err)
{
        _cleanup_stmt_ sqlite3_stmt *find = NULL, *admins = NULL, *upd = NULL;
        char id[STORE_ID_MAX], name[STORE_NAME_MAX + 1];
        int r;

        r = store_prepare(st,
                          "SELECT id, name, admin FROM tokens WHERE (id = ?1 OR name = ?1) AND "
                          "revoked_ms IS NULL",
                          &find, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(find, 1, name_or_id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(find);
        if (rc == SQLITE_DONE)
                return al_error_setx(err, ENOENT, "no token named '%.*s'", STORE_NAME_MAX, name_or_id);
        if (rc != SQLITE_ROW)
                return store_sqlite_error(st, rc, "looking up a token", err);
        store_col_text(find, 0, id, sizeof(id));
        store_col_text(find, 1, name, sizeof(name));
        if (sqlite3_column_int(find, 2)) {
                r = store_prepare(st, "SELECT count(*) FROM tokens WHERE admin = 1 AND revoked_ms IS NULL", &admins,
                                  err);
                if (r < 0)
                        return r;
                if (sqlite3_step(admins) == SQLITE_ROW && sqlite3_column_int(admins, 0) <= 1)
                        return al_error_setx(err, EPERM,
                                             "token '%s' is the last admin token: create another admin token "
                                             "before revoking it",
                                             name);
        }
        r = store_prepare(st, "UPDATE tokens SET revoked_ms = ?2 WHERE id = ?1", &upd, err);
        if (r < 0)
                return r;
        sqlite3_bind_text(upd, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 2, store_now_ms());
        return store_step_done(st, upd, "revoking a token", err);
}

int store_token_revoke(struct store *st, const char *name_or_id, struct al_error *err)
{
        int r = store_exec(st, "BEGIN IMMEDIATE", err);

        if (r < 0)
                return r;
        r = revoke_locked(st, name_or_id, err);
        if (r >= 0)
                r = store_exec(st, "COMMIT", err);
        if (r < 0)
                store_rollback(st);
        return r;
}
