/* SPDX-License-Identifier: Apache-2.0 */
/* File system and environment methods of the Deno Sandbox protocol, done
 * here, inside the sandbox, where host paths do not exist (ARCHITECTURE rule
 * 2). Each takes the request's params and returns the value for {"ok": ...},
 * or fails with an errno that becomes {"error": ErrorObject}. Operations run
 * with the app user's file system identity, so what the API creates belongs
 * to the user the commands run as. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/b64.h"
#include "common/buf.h"
#include "common/cleanup.h"
#include "common/errno_class.h"
#include "init.h"
#include "params.h"

struct fs_fail {
        int code;
        const char *op;
        char path[AL_MAX_PATH];
};

typedef json_t *(*fs_fn)(struct init_state *st, json_t *params, struct fs_fail *f);

static json_t *fail(struct fs_fail *f, int code, const char *op, const char *path)
{
        f->code = code ? code : EIO;
        f->op = op;
        snprintf(f->path, sizeof(f->path), "%s", path ? path : "");
        return NULL;
}

/* Relative paths resolve against the app user's home, as processes start there. */
static int get_path(json_t *params, const char *key, char *buf, size_t len)
{
        const char *p = json_string_value(json_object_get(params, key));
        size_t n;

        if (!p || !*p)
                return -EINVAL;
        n = strlen(p);
        if (n >= AL_MAX_PATH || n != json_string_length(json_object_get(params, key)))
                return n >= AL_MAX_PATH ? -ENAMETOOLONG : -EINVAL; /* NUL inside */
        if (p[0] == '/')
                snprintf(buf, len, "%s", p);
        else
                snprintf(buf, len, "%s/%s", init_home(), p);
        return 0;
}

#define PATH_PARAM(var, key, op)                                                                                       \
        char var[AL_MAX_PATH + 256];                                                                                   \
        do {                                                                                                           \
                int _r = get_path(params, key, var, sizeof(var));                                                      \
                if (_r < 0)                                                                                            \
                        return fail(f, -_r, op, json_string_value(json_object_get(params, key)));                      \
        } while (0)

static bool opt_bool(json_t *obj, const char *key, bool def)
{
        json_t *v = json_object_get(obj, key);
        return json_is_boolean(v) ? json_is_true(v) : def;
}

static json_t *iso_time(const struct statx_timestamp *ts)
{
        char buf[64];
        struct tm tm;
        time_t t = (time_t)ts->tv_sec;

        /* a year past struct tm's (a sandbox sets any time) has no date: null */
        if (!gmtime_r(&t, &tm) || strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                return json_null();
        snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%03uZ", ts->tv_nsec / 1000000);
        return json_string(buf);
}

static json_t *file_info(const struct statx *sx)
{
        mode_t m = sx->stx_mode;
        const struct statx_timestamp *birth = (sx->stx_mask & STATX_BTIME) ? &sx->stx_btime : &sx->stx_ctime;

        return json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o}",
                         "isFile", S_ISREG(m), "isDirectory", S_ISDIR(m), "isSymlink", S_ISLNK(m), "isBlockDevice",
                         S_ISBLK(m), "isCharDevice", S_ISCHR(m), "isFifo", S_ISFIFO(m), "isSocket", S_ISSOCK(m), "size",
                         (json_int_t)sx->stx_size, "mode", (json_int_t)m, "dev",
                         (json_int_t)((sx->stx_dev_major << 8) | sx->stx_dev_minor), "ino", (json_int_t)sx->stx_ino,
                         "nlink", (json_int_t)sx->stx_nlink, "uid", (json_int_t)sx->stx_uid, "gid",
                         (json_int_t)sx->stx_gid, "rdev", (json_int_t)((sx->stx_rdev_major << 8) | sx->stx_rdev_minor),
                         "blksize", (json_int_t)sx->stx_blksize, "blocks", (json_int_t)sx->stx_blocks, "mtime",
                         iso_time(&sx->stx_mtime), "atime", iso_time(&sx->stx_atime), "birthtime", iso_time(birth),
                         "ctime", iso_time(&sx->stx_ctime));
}

static json_t *do_stat(json_t *params, struct fs_fail *f, int flags, const char *op)
{
        struct statx sx;
        PATH_PARAM(path, "path", op);
        if (statx(AT_FDCWD, path, flags, STATX_BASIC_STATS | STATX_BTIME, &sx) < 0)
                return fail(f, errno, op, path);
        return file_info(&sx);
}

static json_t *m_stat(struct init_state *st, json_t *params, struct fs_fail *f)
{
        return do_stat(params, f, 0, "stat");
}

static json_t *m_lstat(struct init_state *st, json_t *params, struct fs_fail *f)
{
        return do_stat(params, f, AT_SYMLINK_NOFOLLOW, "lstat");
}

/* Read a regular file whole, refusing FIFOs, devices and anything over the cap. */
static int read_whole(const char *path, uint8_t **ret, size_t *ret_len)
{
        _cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        struct stat sb;
        size_t len = 0, cap;
        uint8_t *buf;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &sb) < 0)
                return -errno;
        if (S_ISDIR(sb.st_mode))
                return -EISDIR;
        if (!S_ISREG(sb.st_mode))
                return -EINVAL;
        if ((uint64_t)sb.st_size > AL_MAX_FILE_READ)
                return -EFBIG;
        cap = (size_t)sb.st_size + 1;
        buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) { /* grew while we read */
                        if (cap > AL_MAX_FILE_READ) {
                                free(buf);
                                return -EFBIG;
                        }
                        uint8_t *n = realloc(buf, cap * 2);
                        if (!n) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = n;
                        cap *= 2;
                }
                ssize_t n = read(fd, buf + len, cap - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        free(buf);
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

static json_t *m_read_file(struct init_state *st, json_t *params, struct fs_fail *f)
{
        _cleanup_free_ uint8_t *data = NULL;
        size_t len, b64len;
        PATH_PARAM(path, "path", "readfile");
        int r = read_whole(path, &data, &len);
        if (r < 0)
                return fail(f, -r, "readfile", path);
        _cleanup_free_ char *b64 = al_b64_encode(data, len, &b64len);
        return b64 ? json_stringn(b64, b64len) : fail(f, ENOMEM, "readfile", path);
}

static json_t *m_read_text_file(struct init_state *st, json_t *params, struct fs_fail *f)
{
        _cleanup_free_ uint8_t *data = NULL;
        size_t len = 0;
        PATH_PARAM(path, "path", "readfile");
        int r = read_whole(path, &data, &len);
        if (r < 0)
                return fail(f, -r, "readfile", path);
        json_t *s = init_utf8_lossy(data, len);
        return s ? s : fail(f, ENOMEM, "readfile", path);
}

/* Open for writing (or for a handle) without ever blocking airlock-init, whose
 * one thread serves the whole sandbox: a FIFO with no reader blocks open(2),
 * one whose reader never reads blocks write(2). FIFOs and sockets are
 * refused, as readFile refuses them; regular files go back to blocking. */
static int open_no_block(const char *path, int flags, mode_t mode)
{
        struct stat sb;
        int fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, mode);

        if (fd < 0)
                return -errno;
        if (fstat(fd, &sb) < 0 || S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)) {
                close(fd);
                return -EINVAL;
        }
        if (S_ISREG(sb.st_mode) && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        return fd;
}

static json_t *write_common(json_t *params, struct fs_fail *f, bool text)
{
        json_t *opts = json_object_get(params, "options"), *content = json_object_get(params, "content");
        _cleanup_free_ uint8_t *data = NULL;
        const uint8_t *bytes;
        size_t len;
        int flags = O_WRONLY | O_CLOEXEC | O_NOCTTY;
        json_t *mode = json_object_get(opts, "mode");
        PATH_PARAM(path, "path", "open");

        if (!json_is_string(content))
                return fail(f, EINVAL, "write", path);
        if (text) {
                bytes = (const uint8_t *)json_string_value(content);
                len = json_string_length(content);
        } else {
                int r = al_b64_decode(json_string_value(content), json_string_length(content), AL_MAX_CALL, &data,
                                      &len);
                if (r < 0)
                        return fail(f, -r, "write", path);
                bytes = data;
        }
        if (opt_bool(opts, "append", false))
                flags |= O_APPEND;
        else
                flags |= O_TRUNC;
        if (opt_bool(opts, "createNew", false))
                flags |= O_CREAT | O_EXCL;
        else if (opt_bool(opts, "create", true))
                flags |= O_CREAT;
        _cleanup_fd_ int fd =
                open_no_block(path, flags, json_is_integer(mode) ? (mode_t)json_integer_value(mode) & 07777 : 0666);
        if (fd < 0)
                return fail(f, -fd, "open", path);
        int r = al_write_all(fd, bytes, len);
        if (r < 0)
                return fail(f, -r, "write", path);
        if (json_is_integer(mode) && fchmod(fd, (mode_t)json_integer_value(mode) & 07777) < 0)
                return fail(f, errno, "chmod", path);
        return json_null();
}

static json_t *m_write_file(struct init_state *st, json_t *params, struct fs_fail *f)
{
        return write_common(params, f, false);
}

static json_t *m_write_text_file(struct init_state *st, json_t *params, struct fs_fail *f)
{
        return write_common(params, f, true);
}

static json_t *m_read_dir(struct init_state *st, json_t *params, struct fs_fail *f)
{
        PATH_PARAM(path, "path", "readdir");
        DIR *d = opendir(path);
        json_t *arr;
        struct dirent *e;
        size_t n = 0;

        if (!d)
                return fail(f, errno, "readdir", path);
        arr = json_array();
        while ((e = readdir(d)) && n < AL_MAX_DIR_ENTRIES) {
                unsigned char t = e->d_type;
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                if (t == DT_UNKNOWN) {
                        struct stat sb;
                        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0)
                                t = S_ISDIR(sb.st_mode)   ? DT_DIR
                                    : S_ISLNK(sb.st_mode) ? DT_LNK
                                    : S_ISREG(sb.st_mode) ? DT_REG
                                                          : DT_UNKNOWN;
                }
                json_array_append_new(arr, json_pack("{s:s,s:b,s:b,s:b}", "name", e->d_name, "isFile", t == DT_REG,
                                                     "isDirectory", t == DT_DIR, "isSymlink", t == DT_LNK));
                n++;
        }
        closedir(d);
        return arr;
}

/* Depth-first removal below dirfd, never following symlinks. */
static int remove_tree(int parent, const char *name, int depth)
{
        struct stat sb;

        if (depth > 256)
                return -ELOOP;
        if (fstatat(parent, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (!S_ISDIR(sb.st_mode))
                return unlinkat(parent, name, 0) < 0 ? -errno : 0;
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        struct dirent *e;
        int r = 0;
        while (r == 0 && (e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        r = remove_tree(dirfd(d), e->d_name, depth + 1);
        closedir(d);
        if (r == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0)
                r = -errno;
        return r;
}

static json_t *m_remove(struct init_state *st, json_t *params, struct fs_fail *f)
{
        struct stat sb;
        PATH_PARAM(path, "path", "remove");

        if (opt_bool(json_object_get(params, "options"), "recursive", false)) {
                int r = remove_tree(AT_FDCWD, path, 0);
                return r < 0 ? fail(f, -r, "remove", path) : json_null();
        }
        if (lstat(path, &sb) < 0)
                return fail(f, errno, "remove", path);
        if ((S_ISDIR(sb.st_mode) ? rmdir(path) : unlink(path)) < 0)
                return fail(f, errno, "remove", path);
        return json_null();
}

static json_t *m_mkdir(struct init_state *st, json_t *params, struct fs_fail *f)
{
        json_t *opts = json_object_get(params, "options"), *mode = json_object_get(opts, "mode");
        mode_t m = json_is_integer(mode) ? (mode_t)json_integer_value(mode) & 07777 : 0777;
        PATH_PARAM(path, "path", "mkdir");

        if (!opt_bool(opts, "recursive", false))
                return mkdir(path, m) < 0 ? fail(f, errno, "mkdir", path) : json_null();
        for (char *p = path + 1;; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char c = *p;
                *p = '\0';
                if (mkdir(path, m) < 0 && errno != EEXIST)
                        return fail(f, errno, "mkdir", path);
                *p = c;
                if (!c)
                        break;
        }
        struct stat sb;
        if (stat(path, &sb) < 0 || !S_ISDIR(sb.st_mode))
                return fail(f, ENOTDIR, "mkdir", path);
        return json_null();
}

static json_t *m_rename(struct init_state *st, json_t *params, struct fs_fail *f)
{
        PATH_PARAM(from, "oldPath", "rename");
        PATH_PARAM(to, "newPath", "rename");
        return rename(from, to) < 0 ? fail(f, errno, "rename", from) : json_null();
}

static json_t *m_chmod(struct init_state *st, json_t *params, struct fs_fail *f)
{
        PATH_PARAM(path, "path", "chmod");
        json_t *mode = json_object_get(params, "mode");
        if (!json_is_integer(mode))
                return fail(f, EINVAL, "chmod", path);
        return chmod(path, (mode_t)json_integer_value(mode) & 07777) < 0 ? fail(f, errno, "chmod", path) : json_null();
}

static json_t *m_chown(struct init_state *st, json_t *params, struct fs_fail *f)
{
        PATH_PARAM(path, "path", "chown");
        json_t *u = json_object_get(params, "uid"), *g = json_object_get(params, "gid");
        uid_t uid = json_is_integer(u) ? (uid_t)json_integer_value(u) : (uid_t)-1;
        gid_t gid = json_is_integer(g) ? (gid_t)json_integer_value(g) : (gid_t)-1;
        return chown(path, uid, gid) < 0 ? fail(f, errno, "chown", path) : json_null();
}

static json_t *m_copy_file(struct init_state *st, json_t *params, struct fs_fail *f)
{
        PATH_PARAM(from, "fromPath", "copy");
        PATH_PARAM(to, "toPath", "copy");
        _cleanup_fd_ int in = open(from, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        struct stat sb;
        if (in < 0 || fstat(in, &sb) < 0)
                return fail(f, errno, "copy", from);
        if (!S_ISREG(sb.st_mode))
                return fail(f, S_ISDIR(sb.st_mode) ? EISDIR : EINVAL, "copy", from);
        _cleanup_fd_ int out = open_no_block(to, O_WRONLY | O_CREAT | O_TRUNC, sb.st_mode & 07777);
        if (out < 0)
                return fail(f, -out, "copy", to);
        for (;;) {
                ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 20, 0);
                if (n < 0)
                        return fail(f, errno, "copy", to);
                if (n == 0)
                        break;
        }
        return json_null();
}

static json_t *m_link(struct init_state *st, json_t *params, struct fs_fail *f)
{
        PATH_PARAM(target, "target", "link");
        PATH_PARAM(path, "path", "link");
        return link(target, path) < 0 ? fail(f, errno, "link", path) : json_null();
}

static json_t *m_symlink(struct init_state *st, json_t *params, struct fs_fail *f)
{
        const char *target = json_string_value(json_object_get(params, "target"));
        PATH_PARAM(path, "path", "symlink");
        if (!target || strlen(target) >= AL_MAX_PATH)
                return fail(f, EINVAL, "symlink", path);
        return symlink(target, path) < 0 ? fail(f, errno, "symlink", path) : json_null();
}

static json_t *m_read_link(struct init_state *st, json_t *params, struct fs_fail *f)
{
        char buf[AL_MAX_PATH];
        PATH_PARAM(path, "path", "readlink");
        ssize_t n = readlink(path, buf, sizeof(buf) - 1);
        if (n < 0)
                return fail(f, errno, "readlink", path);
        return json_stringn(buf, (size_t)n);
}

static json_t *m_real_path(struct init_state *st, json_t *params, struct fs_fail *f)
{
        char buf[PATH_MAX];
        PATH_PARAM(path, "path", "realpath");
        return realpath(path, buf) ? json_string(buf) : fail(f, errno, "realpath", path);
}

static json_t *m_truncate(struct init_state *st, json_t *params, struct fs_fail *f)
{
        PATH_PARAM(path, "name", "truncate");
        json_t *len = json_object_get(params, "length");
        return truncate(path, json_is_integer(len) ? (off_t)json_integer_value(len) : 0) < 0
                       ? fail(f, errno, "truncate", path)
                       : json_null();
}

static json_t *m_umask(struct init_state *st, json_t *params, struct fs_fail *f)
{
        json_t *mask = json_object_get(params, "mask");
        mode_t old = umask(json_is_integer(mask) ? (mode_t)json_integer_value(mask) & 0777 : 022);
        if (!json_is_integer(mask))
                umask(old);
        return json_integer(old);
}

static json_t *m_utime(struct init_state *st, json_t *params, struct fs_fail *f)
{
        struct timespec ts[2];
        PATH_PARAM(path, "path", "utime");
        if (init_parse_iso(json_string_value(json_object_get(params, "atime")), &ts[0]) < 0 ||
            init_parse_iso(json_string_value(json_object_get(params, "mtime")), &ts[1]) < 0)
                return fail(f, EINVAL, "utime", path);
        return utimensat(AT_FDCWD, path, ts, 0) < 0 ? fail(f, errno, "utime", path) : json_null();
}

static json_t *make_temp(json_t *params, struct fs_fail *f, bool dir)
{
        json_t *o = json_object_get(params, "options");
        const char *d = json_string_value(json_object_get(o, "dir"));
        const char *pre = json_string_value(json_object_get(o, "prefix"));
        const char *suf = json_string_value(json_object_get(o, "suffix"));
        char tmpl[AL_MAX_PATH + 64];

        if ((d && strlen(d) > AL_MAX_PATH / 2) || (pre && strlen(pre) > 255) || (suf && strlen(suf) > 255) ||
            (pre && strchr(pre, '/')) || (suf && strchr(suf, '/')))
                return fail(f, EINVAL, "maketemp", d);
        if (d && d[0] != '/')
                snprintf(tmpl, sizeof(tmpl), "%s/%s/%sXXXXXX%s", init_home(), d, pre ? pre : "", suf ? suf : "");
        else
                snprintf(tmpl, sizeof(tmpl), "%s/%sXXXXXX%s", d ? d : "/tmp", pre ? pre : "", suf ? suf : "");
        if (dir) {
                if (suf && *suf) { /* mkdtemp wants the X's last: try names ourselves */
                        for (int i = 0; i < 100; i++) {
                                char *x = strstr(tmpl + strlen(tmpl) - strlen(suf) - 6, "XXXXXX");
                                for (int k = 0; k < 6; k++)
                                        // NOLINTNEXTLINE(cert-msc30-c,cert-msc50-cpp): mkdir() refuses a taken name; a guess gains nothing
                                        x[k] = "abcdefghijklmnopqrstuvwxyz0123456789"[rand() % 36];
                                if (mkdir(tmpl, 0700) == 0)
                                        return json_string(tmpl);
                                if (errno != EEXIST)
                                        break;
                                memcpy(x, "XXXXXX", 6);
                        }
                        return fail(f, errno, "maketempdir", tmpl);
                }
                return mkdtemp(tmpl) ? json_string(tmpl) : fail(f, errno, "maketempdir", tmpl);
        }
        int fd = mkstemps(tmpl, suf ? (int)strlen(suf) : 0);
        if (fd < 0)
                return fail(f, errno, "maketempfile", tmpl);
        close(fd);
        return json_string(tmpl);
}

static json_t *m_make_temp_dir(struct init_state *st, json_t *params, struct fs_fail *f)
{
        return make_temp(params, f, true);
}

static json_t *m_make_temp_file(struct init_state *st, json_t *params, struct fs_fail *f)
{
        return make_temp(params, f, false);
}

/* --- sandbox-wide environment (envSet affects later spawns) -------------- */

static json_t *env_key(json_t *params, struct fs_fail *f)
{
        json_t *k = json_object_get(params, "key");
        const char *s = json_string_value(k);
        if (!s || !*s || strchr(s, '=') || strlen(s) != json_string_length(k))
                return fail(f, EINVAL, "env", s);
        return k;
}

static json_t *m_env_get(struct init_state *st, json_t *params, struct fs_fail *f)
{
        json_t *k = env_key(params, f);
        if (!k)
                return NULL;
        json_t *v = json_object_get(st->env, json_string_value(k));
        return v ? json_incref(v) : json_null();
}

static json_t *m_env_set(struct init_state *st, json_t *params, struct fs_fail *f)
{
        json_t *k = env_key(params, f), *v = json_object_get(params, "value");
        if (!k)
                return NULL;
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
                return fail(f, EINVAL, "env", json_string_value(k));
        if (st->env_bytes + json_string_length(k) + json_string_length(v) > AL_MAX_ENV_BYTES)
                return fail(f, E2BIG, "env", json_string_value(k));
        st->env_bytes += json_string_length(k) + json_string_length(v);
        json_object_set(st->env, json_string_value(k), v);
        return json_null();
}

static json_t *m_env_to_object(struct init_state *st, json_t *params, struct fs_fail *f)
{
        return json_deep_copy(st->env);
}

static json_t *m_env_delete(struct init_state *st, json_t *params, struct fs_fail *f)
{
        json_t *k = env_key(params, f);
        if (!k)
                return NULL;
        json_object_del(st->env, json_string_value(k));
        return json_null();
}

/* --- file handles ----------------------------------------------------------
 * Ids are small positive integers; airlockd closes a connection's handles
 * when it goes. Locks are taken without blocking: PID 1 must never sleep on
 * a lock a sandbox process holds (a busy lock answers WouldBlock). */

static int handle_fd(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int64_t id = json_integer_value(json_object_get(params, "fileHandleId"));

        if (id < 1 || id > AL_MAX_HANDLES || st->handles[id - 1] < 0) {
                fail(f, EBADF, "file handle", NULL);
                return -1;
        }
        return st->handles[id - 1];
}

static json_t *open_common(struct init_state *st, const char *path, int flags, mode_t mode, struct fs_fail *f)
{
        int slot = -1;

        for (int i = 0; i < AL_MAX_HANDLES && slot < 0; i++)
                if (st->handles[i] < 0)
                        slot = i;
        if (slot < 0)
                return fail(f, EMFILE, "open", path);
        int fd = open_no_block(path, flags, mode);
        if (fd < 0)
                return fail(f, -fd, "open", path);
        st->handles[slot] = fd;
        return json_pack("{s:i}", "fileHandleId", slot + 1);
}

static json_t *m_open(struct init_state *st, json_t *params, struct fs_fail *f)
{
        json_t *o = json_object_get(params, "options"), *mode = json_object_get(o, "mode");
        bool rd = opt_bool(o, "read", false), wr = opt_bool(o, "write", false), ap = opt_bool(o, "append", false);
        int flags;
        PATH_PARAM(path, "path", "open");

        if (!o)
                rd = true;
        flags = (rd && (wr || ap)) ? O_RDWR : (wr || ap) ? O_WRONLY : O_RDONLY;
        if (ap)
                flags |= O_APPEND;
        if (opt_bool(o, "truncate", false))
                flags |= O_TRUNC;
        if (opt_bool(o, "createNew", false))
                flags |= O_CREAT | O_EXCL;
        else if (opt_bool(o, "create", false))
                flags |= O_CREAT;
        if ((flags & O_CREAT) && !(wr || ap))
                return fail(f, EINVAL, "open (create needs write or append)", path);
        return open_common(st, path, flags, json_is_integer(mode) ? (mode_t)json_integer_value(mode) & 07777 : 0666, f);
}

static json_t *m_create(struct init_state *st, json_t *params, struct fs_fail *f)
{
        PATH_PARAM(path, "path", "create");
        return open_common(st, path, O_RDWR | O_CREAT | O_TRUNC, 0666, f);
}

static json_t *m_file_close(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        if (fd < 0)
                return NULL;
        close(fd);
        st->handles[json_integer_value(json_object_get(params, "fileHandleId")) - 1] = -1;
        return json_null();
}

static json_t *m_file_read(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        json_int_t want = json_integer_value(json_object_get(params, "length"));
        if (fd < 0)
                return NULL;
        if (want <= 0)
                return json_pack("{s:s}", "data", "");
        if (want > AL_MAX_HANDLE_READ)
                want = AL_MAX_HANDLE_READ;
        _cleanup_free_ uint8_t *buf = malloc((size_t)want);
        if (!buf)
                return fail(f, ENOMEM, "read", NULL);
        ssize_t n;
        do
                n = read(fd, buf, (size_t)want);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return fail(f, errno, "read", NULL);
        if (n == 0)
                return json_pack("{s:n}", "data"); /* null is EOF */
        size_t len;
        _cleanup_free_ char *b64 = al_b64_encode(buf, (size_t)n, &len);
        return b64 ? json_pack("{s:s%}", "data", b64, len) : fail(f, ENOMEM, "read", NULL);
}

static json_t *m_file_write(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        json_t *d = json_object_get(params, "data");
        _cleanup_free_ uint8_t *buf = NULL;
        size_t len;
        if (fd < 0)
                return NULL;
        if (!json_is_string(d) ||
            al_b64_decode(json_string_value(d), json_string_length(d), AL_MAX_CALL, &buf, &len) < 0)
                return fail(f, EINVAL, "write", NULL);
        ssize_t n;
        do
                n = write(fd, buf, len);
        while (n < 0 && errno == EINTR);
        return n < 0 ? fail(f, errno, "write", NULL) : json_pack("{s:I}", "bytesWritten", (json_int_t)n);
}

static json_t *m_file_seek(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        json_t *off = json_object_get(params, "offset");
        json_int_t whence = json_integer_value(json_object_get(params, "whence"));
        long long o;
        if (fd < 0)
                return NULL;
        if (json_is_integer(off))
                o = json_integer_value(off);
        else if (json_is_string(off))
                o = strtoll(json_string_value(off), NULL, 10); /* a bigint as a decimal string */
        else
                return fail(f, EINVAL, "seek", NULL);
        if (whence < 0 || whence > 2)
                return fail(f, EINVAL, "seek", NULL);
        off_t pos = lseek(fd, (off_t)o, whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : SEEK_END);
        return pos < 0 ? fail(f, errno, "seek", NULL) : json_pack("{s:I}", "position", (json_int_t)pos);
}

static json_t *m_file_stat(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        struct statx sx;
        if (fd < 0)
                return NULL;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &sx) < 0)
                return fail(f, errno, "fstat", NULL);
        return file_info(&sx);
}

static json_t *m_file_sync(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        if (fd < 0)
                return NULL;
        return fsync(fd) < 0 ? fail(f, errno, "fsync", NULL) : json_null();
}

static json_t *m_file_sync_data(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        if (fd < 0)
                return NULL;
        return fdatasync(fd) < 0 ? fail(f, errno, "fdatasync", NULL) : json_null();
}

static json_t *m_file_truncate(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        json_t *len = json_object_get(params, "len");
        if (fd < 0)
                return NULL;
        return ftruncate(fd, json_is_integer(len) ? (off_t)json_integer_value(len) : 0) < 0
                       ? fail(f, errno, "ftruncate", NULL)
                       : json_null();
}

static json_t *m_file_utime(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        struct timespec ts[2];
        if (fd < 0)
                return NULL;
        if (init_parse_iso(json_string_value(json_object_get(params, "atime")), &ts[0]) < 0 ||
            init_parse_iso(json_string_value(json_object_get(params, "mtime")), &ts[1]) < 0)
                return fail(f, EINVAL, "futimens", NULL);
        return futimens(fd, ts) < 0 ? fail(f, errno, "futimens", NULL) : json_null();
}

static json_t *m_file_lock(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        if (fd < 0)
                return NULL;
        int op = opt_bool(params, "exclusive", false) ? LOCK_EX : LOCK_SH;
        return flock(fd, op | LOCK_NB) < 0 ? fail(f, errno, "flock", NULL) : json_null();
}

static json_t *m_file_unlock(struct init_state *st, json_t *params, struct fs_fail *f)
{
        int fd = handle_fd(st, params, f);
        if (fd < 0)
                return NULL;
        return flock(fd, LOCK_UN) < 0 ? fail(f, errno, "flock", NULL) : json_null();
}

static json_t *m_walk(struct init_state *st, json_t *params, struct fs_fail *f)
{
        json_t *entries;
        int r = init_walk(params, &entries);
        return r < 0 ? fail(f, -r, "walk", json_string_value(json_object_get(params, "path")))
                     : json_pack("{s:o}", "entries", entries);
}

static json_t *m_expand_glob(struct init_state *st, json_t *params, struct fs_fail *f)
{
        json_t *entries;
        int r = init_expand_glob(params, &entries);
        return r < 0 ? fail(f, -r, "expandGlob", json_string_value(json_object_get(params, "glob")))
                     : json_pack("{s:o}", "entries", entries);
}

static const struct {
        const char *name;
        fs_fn fn;
        bool as_user; /* with the app user's file system identity */
} methods[] = {
        { "readFile", m_read_file, true },
        { "readTextFile", m_read_text_file, true },
        { "writeFile", m_write_file, true },
        { "writeTextFile", m_write_text_file, true },
        { "readDir", m_read_dir, true },
        { "remove", m_remove, true },
        { "mkdir", m_mkdir, true },
        { "rename", m_rename, true },
        { "stat", m_stat, true },
        { "lstat", m_lstat, true },
        { "chmod", m_chmod, true },
        { "chown", m_chown, false },
        { "copyFile", m_copy_file, true },
        { "link", m_link, true },
        { "symlink", m_symlink, true },
        { "readLink", m_read_link, true },
        { "realPath", m_real_path, true },
        { "truncate", m_truncate, true },
        { "umask", m_umask, false },
        { "utime", m_utime, true },
        { "makeTempDir", m_make_temp_dir, true },
        { "makeTempFile", m_make_temp_file, true },
        { "envGet", m_env_get, false },
        { "envSet", m_env_set, false },
        { "envToObject", m_env_to_object, false },
        { "envDelete", m_env_delete, false },
        { "open", m_open, true },
        { "create", m_create, true },
        { "fileClose", m_file_close, false },
        { "fileRead", m_file_read, false },
        { "fileWrite", m_file_write, false },
        { "fileSeek", m_file_seek, false },
        { "fileStat", m_file_stat, false },
        { "fileSync", m_file_sync, false },
        { "fileSyncData", m_file_sync_data, false },
        { "fileTruncate", m_file_truncate, false },
        { "fileUtime", m_file_utime, false },
        { "fileLock", m_file_lock, false },
        { "fileUnlock", m_file_unlock, false },
        { "walk", m_walk, true },
        { "expandGlob", m_expand_glob, true },
};

static json_t *error_object(const struct fs_fail *f)
{
        char msg[AL_MAX_ERRMSG + AL_MAX_PATH];
        const char *sym = strerrorname_np(f->code);

        snprintf(msg, sizeof(msg), "%s (os error %d): %s '%s'", strerror(f->code), f->code, f->op ? f->op : "",
                 f->path);
        return json_pack("{s:s,s:s,s:s?,s:n}", "constructorName", al_errno_class(f->code), "message", msg, "code", sym,
                         "stack");
}

json_t *init_fs_call(struct init_state *st, const char *method, json_t *params)
{
        struct fs_fail f = { 0 };
        json_t *ok = NULL;

        for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
                if (strcmp(methods[i].name, method) != 0)
                        continue;
                bool as_user = methods[i].as_user && !st->strict;
                if (as_user) {
                        setfsgid(st->app_gid);
                        setfsuid(st->app_uid);
                }
                ok = methods[i].fn(st, json_is_object(params) ? params : NULL, &f);
                if (as_user) {
                        setfsuid(0);
                        setfsgid(0);
                }
                if (ok)
                        return json_pack("{s:o}", "ok", ok);
                return json_pack("{s:o}", "error", error_object(&f));
        }
        return json_pack("{s:{s:s,s:s,s:s,s:n}}", "error", "constructorName", "NotSupported", "message",
                         "method not supported by this sandbox", "code", "ENOSYS", "stack");
}
