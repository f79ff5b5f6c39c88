/* SPDX-License-Identifier: Apache-2.0 */
/* walk and expandGlob, after @std/fs. The whole result (capped at
 * AL_MAX_DIR_ENTRIES) goes back in one reply, {"entries": [...]}; airlockd
 * turns it into the stream the SDK reads. JavaScript regexes (match, skip)
 * are run as POSIX extended ones, with \d \w \s translated. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "init.h"
#include "params.h"

#define WALK_MAX_REGEX 32
#define WALK_MAX_DEPTH 256

struct walk {
        int64_t max_depth;
        bool files, dirs, symlinks, follow;
        json_t *exts;
        regex_t match[WALK_MAX_REGEX], skip[WALK_MAX_REGEX];
        int n_match, n_skip;
        json_t *out;
        int err;
};

static bool entry_add(struct walk *w, const char *shown, const char *name, mode_t m)
{
        if (json_array_size(w->out) >= AL_MAX_DIR_ENTRIES) {
                w->err = E2BIG;
                return false;
        }
        json_array_append_new(w->out, json_pack("{s:s,s:s,s:b,s:b,s:b}", "path", shown, "name", name, "isFile",
                                                S_ISREG(m), "isDirectory", S_ISDIR(m), "isSymlink", S_ISLNK(m)));
        return true;
}

static bool include(struct walk *w, const char *path, bool with_exts, bool with_match)
{
        if (with_exts && json_array_size(w->exts)) {
                bool any = false;
                size_t i;
                json_t *e;
                json_array_foreach (w->exts, i, e) {
                        const char *x = json_string_value(e);
                        char dotted[256];
                        if (!x)
                                continue;
                        snprintf(dotted, sizeof(dotted), "%s%s", x[0] == '.' ? "" : ".", x);
                        size_t pl = strlen(path), xl = strlen(dotted);
                        if (pl >= xl && strcmp(path + pl - xl, dotted) == 0)
                                any = true;
                }
                if (!any)
                        return false;
        }
        if (with_match && w->n_match) {
                bool any = false;
                for (int i = 0; i < w->n_match && !any; i++)
                        any = regexec(&w->match[i], path, 0, NULL, 0) == 0;
                if (!any)
                        return false;
        }
        for (int i = 0; i < w->n_skip; i++)
                if (regexec(&w->skip[i], path, 0, NULL, 0) == 0)
                        return false;
        return true;
}

static const char *base_name(const char *p)
{
        const char *s = strrchr(p, '/');
        return s && s[1] ? s + 1 : p;
}

/* real: where it is; shown: how the caller named it. */
static void walk_dir(struct walk *w, const char *real, const char *shown, int64_t depth)
{
        struct stat sb;

        if (w->err || depth > WALK_MAX_DEPTH)
                return;
        if (lstat(real, &sb) < 0) {
                w->err = errno;
                return;
        }
        if (w->dirs && include(w, shown, true, true) && !entry_add(w, shown, base_name(shown), sb.st_mode))
                return;
        if (depth >= w->max_depth || !include(w, shown, false, false))
                return;
        DIR *d = opendir(real);
        if (!d) {
                w->err = errno;
                return;
        }
        struct dirent *e;
        while (!w->err && (e = readdir(d))) {
                char rp[PATH_MAX], sp[PATH_MAX];
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                snprintf(rp, sizeof(rp), "%s/%s", strcmp(real, "/") ? real : "", e->d_name);
                snprintf(sp, sizeof(sp), "%s%s%s", shown, shown[strlen(shown) - 1] == '/' ? "" : "/", e->d_name);
                if (lstat(rp, &sb) < 0)
                        continue;
                if (S_ISLNK(sb.st_mode)) {
                        struct stat tb;
                        if (w->follow && stat(rp, &tb) == 0 && S_ISDIR(tb.st_mode)) {
                                char target[PATH_MAX];
                                if (realpath(rp, target))
                                        walk_dir(w, target, sp, depth + 1);
                        } else if (w->symlinks && include(w, sp, true, true)) {
                                entry_add(w, sp, e->d_name, sb.st_mode);
                        }
                } else if (S_ISDIR(sb.st_mode)) {
                        walk_dir(w, rp, sp, depth + 1);
                } else if (w->files && include(w, sp, true, true)) {
                        entry_add(w, sp, e->d_name, sb.st_mode);
                }
        }
        closedir(d);
}

static bool opt(json_t *p, const char *k, bool def)
{
        json_t *v = json_object_get(p, k);
        return json_is_boolean(v) ? json_is_true(v) : def;
}

static int compile_list(json_t *arr, regex_t *out, int *n)
{
        size_t i;
        json_t *re;

        *n = 0;
        if (!json_is_array(arr))
                return 0;
        json_array_foreach (arr, i, re) {
                if (*n >= WALK_MAX_REGEX || init_js_regex(re, &out[*n]) < 0)
                        return -EINVAL;
                (*n)++;
        }
        return 0;
}

static void walk_free(struct walk *w)
{
        for (int i = 0; i < w->n_match; i++)
                regfree(&w->match[i]);
        for (int i = 0; i < w->n_skip; i++)
                regfree(&w->skip[i]);
}

static void resolve(const char *path, char *buf, size_t len)
{
        if (path[0] == '/')
                snprintf(buf, len, "%s", path);
        else
                snprintf(buf, len, "%s/%s", init_home(), path);
}

int init_walk(json_t *params, json_t **ret)
{
        const char *root = json_string_value(json_object_get(params, "path"));
        json_t *md = json_object_get(params, "maxDepth");
        struct walk w = { .max_depth = json_is_integer(md) ? json_integer_value(md) : INT32_MAX,
                          .files = opt(params, "includeFiles", true),
                          .dirs = opt(params, "includeDirs", true),
                          .symlinks = opt(params, "includeSymlinks", true),
                          .follow = opt(params, "followSymlinks", false),
                          .exts = json_object_get(params, "exts") };
        char real[PATH_MAX];

        if (!root || strlen(root) >= AL_MAX_PATH)
                return -EINVAL;
        if (compile_list(json_object_get(params, "match"), w.match, &w.n_match) < 0 ||
            compile_list(json_object_get(params, "skip"), w.skip, &w.n_skip) < 0) {
                walk_free(&w);
                return -EINVAL;
        }
        w.out = json_array();
        resolve(root, real, sizeof(real));
        if (w.max_depth >= 0)
                walk_dir(&w, real, root, 0);
        walk_free(&w);
        if (w.err) {
                json_decref(w.out);
                return -w.err;
        }
        *ret = w.out;
        return 0;
}

/* --- expandGlob: segment by segment, "**" matching any depth ------------ */

struct glob {
        char *seg[64];
        int n;
        int flags;
        bool dirs, follow;
        json_t *exclude;
        json_t *out;
        json_t *seen; /* paths already in out: "**" can reach one twice */
        int err;
};

static bool excluded(struct glob *g, const char *path)
{
        size_t i;
        json_t *x;
        json_array_foreach (g->exclude, i, x) {
                const char *pat = json_string_value(x);
                if (pat && fnmatch(pat, path, g->flags) == 0)
                        return true;
        }
        return false;
}

static void glob_add(struct glob *g, const char *path, mode_t m)
{
        if (json_array_size(g->out) >= AL_MAX_DIR_ENTRIES) {
                g->err = E2BIG;
                return;
        }
        if ((S_ISDIR(m) && !g->dirs) || excluded(g, path))
                return;
        if (json_object_get(g->seen, path))
                return;
        json_object_set_new(g->seen, path, json_true());
        json_array_append_new(g->out,
                              json_pack("{s:s,s:s,s:b,s:b,s:b}", "path", path, "name", base_name(path), "isFile",
                                        S_ISREG(m), "isDirectory", S_ISDIR(m), "isSymlink", S_ISLNK(m)));
}

static void glob_step(struct glob *g, const char *dir, int i, int depth)
{
        struct stat sb;

        if (g->err || depth > WALK_MAX_DEPTH)
                return;
        if (i == g->n) {
                if (lstat(dir, &sb) == 0)
                        glob_add(g, dir, sb.st_mode);
                return;
        }
        if (strcmp(g->seg[i], "**") == 0) {
                glob_step(g, dir, i + 1, depth + 1); /* zero directories */
        }
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *e;
        while (!g->err && (e = readdir(d))) {
                char p[PATH_MAX];
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                        continue;
                snprintf(p, sizeof(p), "%s/%s", strcmp(dir, "/") ? dir : "", e->d_name);
                if (strcmp(g->seg[i], "**") == 0) {
                        if (e->d_name[0] == '.')
                                continue;
                        if ((g->follow ? stat(p, &sb) : lstat(p, &sb)) == 0 && S_ISDIR(sb.st_mode))
                                glob_step(g, p, i, depth + 1);
                        else if (i + 1 == g->n || fnmatch(g->seg[i + 1], e->d_name, g->flags) == 0)
                                glob_step(g, p, i + 1, depth + 1);
                        continue;
                }
                if (fnmatch(g->seg[i], e->d_name, g->flags) != 0)
                        continue;
                if (i + 1 < g->n && !((g->follow ? stat(p, &sb) : lstat(p, &sb)) == 0 && S_ISDIR(sb.st_mode)))
                        continue;
                glob_step(g, p, i + 1, depth + 1);
        }
        closedir(d);
}

int init_expand_glob(json_t *params, json_t **ret)
{
        const char *pat = json_string_value(json_object_get(params, "glob"));
        const char *root = json_string_value(json_object_get(params, "root"));
        struct glob g = { .dirs = opt(params, "includeDirs", true),
                          .follow = opt(params, "followSymlinks", false),
                          .exclude = json_object_get(params, "exclude"),
                          .flags = FNM_PERIOD | (opt(params, "caseInsensitive", false) ? FNM_CASEFOLD : 0) |
                                   (opt(params, "extended", true) ? FNM_EXTMATCH : 0) };
        char base[PATH_MAX], copy[AL_MAX_PATH];

        if (!pat || strlen(pat) >= sizeof(copy) || (root && strlen(root) >= AL_MAX_PATH))
                return -EINVAL;
        snprintf(copy, sizeof(copy), "%s", pat);
        if (copy[0] == '/')
                snprintf(base, sizeof(base), "/");
        else
                resolve(root ? root : ".", base, sizeof(base));
        for (char *save = NULL, *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
                if (g.n >= 64 || !strcmp(t, "."))
                        continue;
                g.seg[g.n++] = t;
        }
        if (!json_is_array(g.exclude))
                g.exclude = NULL;
        /* normalise the base: a trailing "/." from the default root */
        size_t bl = strlen(base);
        if (bl > 2 && !strcmp(base + bl - 2, "/."))
                base[bl - 2] = '\0';
        g.out = json_array();
        g.seen = json_object();
        glob_step(&g, base, 0, 0);
        json_decref(g.seen);
        if (g.err) {
                json_decref(g.out);
                return -g.err;
        }
        *ret = g.out;
        return 0;
}
