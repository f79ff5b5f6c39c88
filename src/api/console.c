/* SPDX-License-Identifier: Apache-2.0 */
/* The console's volume and snapshot routes (protocol section 8):
 *
 *   GET    /api/v2/volumes[?limit&cursor&search]   page of Volume + Link
 *   POST   /api/v2/volumes                         {slug, region, capacity, from?}
 *   GET    /api/v2/volumes/{id or slug}
 *   DELETE /api/v2/volumes/{id or slug}            409 while a sandbox uses it
 *   POST   /api/v2/volumes/{id or slug}/snapshot   {slug}; 409 while a sandbox uses it
 *   GET    /api/v2/snapshots[?limit&cursor&search]
 *   GET    /api/v2/snapshots/{id or slug}
 *   DELETE /api/v2/snapshots/{id or slug}
 *
 * A token sees only its own volumes and snapshots; anything else is 404.
 * Making an image (mkfs, copies) runs on the event loop: a blank volume takes
 * milliseconds, one from the image or a snapshot about a second per 500 MB. */
#include <dirent.h>
#include <errno.h>
#include <http_parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "rest.h"
#include "common/limits.h"

#define BUILTIN_IMAGE "builtin:debian-13"
#define DEFAULT_PAGE 20
#define MIN_BOOTABLE (1ull << 30) /* the default image with room to spare */

static struct {
        const char *state_dir;
        const char *image;
} console = { "/var/lib/airlock", "default" };

void api_console_init(const char *state_dir, const char *image)
{
        console.state_dir = state_dir;
        console.image = image;
}

const char *api_console_state_dir(void)
{
        return console.state_dir;
}

const char *api_console_image(void)
{
        return console.image;
}

/* One directory's images the store does not know, over a minute old (a
 * crash between making an image and recording it; a snapshot half made). */
static int remove_unknown(struct store *st, bool snapshots)
{
        char dir[PATH_MAX], path[PATH_MAX + 300], id[STORE_ID_MAX];
        struct store_snapshot s;
        struct store_volume v;
        struct dirent *de;
        struct stat sb;
        int removed = 0;
        DIR *d;

        snprintf(dir, sizeof(dir), "%s/%s", console.state_dir, snapshots ? "snapshots" : "volumes");
        d = opendir(dir);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                const char *dot = strchr(de->d_name, '.');
                size_t n = dot ? (size_t)(dot - de->d_name) : 0;
                if (!dot || n == 0 || n >= sizeof(id) || (strcmp(dot, ".img") && strcmp(dot, ".img.tmp")))
                        continue;
                memcpy(id, de->d_name, n);
                id[n] = '\0';
                bool known = !strcmp(dot, ".img") && (snapshots ? store_snapshot_get(st, NULL, id, &s) == 0
                                                                : store_volume_get(st, NULL, id, &v) == 0);
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (!known && stat(path, &sb) == 0 && sb.st_mtime + 60 < time(NULL) && unlink(path) == 0)
                        removed++;
        }
        closedir(d);
        return removed;
}

int api_console_remains(struct store *st)
{
        return remove_unknown(st, false) + remove_unknown(st, true);
}

/* --- requests --------------------------------------------------------------- */

static json_t *body_object(const struct api_rest_req *req, struct api_rest_res *res)
{
        json_error_t jerr;
        json_t *o;

        if (req->body_len > AL_MAX_CONSOLE_BODY) {
                api_rest_error(res, 413, "BODY_TOO_LARGE", "the request body is over %u bytes", AL_MAX_CONSOLE_BODY);
                return NULL;
        }
        o = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(o)) {
                json_decref(o);
                api_rest_error(res, 400, "INVALID_BODY", "the body must be a JSON object");
                return NULL;
        }
        return o;
}

static const char *body_slug(json_t *body, struct api_rest_res *res)
{
        const char *slug = json_string_value(json_object_get(body, "slug"));

        if (!api_console_slug_valid(slug)) {
                api_rest_error(res, 400, "INVALID_SLUG",
                               "slug must be 1 to %d letters, digits, '.', '_' or '-', starting with a "
                               "letter or digit (and not vol_... or snp_...)",
                               STORE_NAME_MAX);
                return NULL;
        }
        return slug;
}

/* limit, cursor and search of a list request; false after an error. */
static bool page_params(const struct api_rest_req *req, struct api_rest_res *res, unsigned *limit,
                        char cursor[STORE_ID_MAX], char search[256])
{
        char buf[32], *end;
        const char *l = api_query_get(req->query, "limit", buf, sizeof(buf));

        *limit = DEFAULT_PAGE;
        if (l) {
                unsigned long v = strtoul(l, &end, 10);
                if (!*l || *end || v == 0) {
                        api_rest_error(res, 400, "INVALID_LIMIT", "limit must be a positive number");
                        return false;
                }
                *limit = v > STORE_PAGE_MAX ? STORE_PAGE_MAX : (unsigned)v;
        }
        if (!api_query_get(req->query, "cursor", cursor, STORE_ID_MAX))
                cursor[0] = '\0';
        if (!api_query_get(req->query, "search", search, 256))
                search[0] = '\0';
        return true;
}

static void list(struct store *st, const struct api_rest_req *req, struct api_rest_res *res, bool snapshots)
{
        char cursor[STORE_ID_MAX], search[256], next[STORE_ID_MAX];
        const char *tok = req->token->id;
        unsigned limit;
        json_t *page;

        if (!page_params(req, res, &limit, cursor, search))
                return;
        page = snapshots ? store_snapshot_list(st, tok, search[0] ? search : NULL, cursor, limit, next)
                         : store_volume_list(st, tok, search[0] ? search : NULL, cursor, limit, next);
        if (!page) {
                api_rest_error(res, 500, "INTERNAL", "cannot list %s", snapshots ? "snapshots" : "volumes");
                return;
        }
        if (next[0] && api_console_next_link(res->link, sizeof(res->link), req->base_url,
                                             snapshots ? "snapshots" : "volumes", next, limit, search) < 0)
                res->link[0] = '\0';
        res->status = 200;
        res->body = page;
}

/* How many volumes (snapshots) a token keeps, counted up to cap. */
static unsigned count_own(struct store *st, const char *tok, bool snapshots, unsigned cap)
{
        char cursor[STORE_ID_MAX] = "", next[STORE_ID_MAX];
        unsigned n = 0;

        do {
                json_t *page = snapshots ? store_snapshot_list(st, tok, NULL, cursor, STORE_PAGE_MAX, next)
                                         : store_volume_list(st, tok, NULL, cursor, STORE_PAGE_MAX, next);
                n += (unsigned)json_array_size(page);
                json_decref(page);
                memcpy(cursor, next, sizeof(cursor));
        } while (next[0] && n < cap);
        return n;
}

int api_console_snapshot_precheck(struct store *st, const char *tok, const char *slug, struct api_rest_res *res)
{
        struct store_snapshot other;

        if (store_snapshot_get(st, tok, slug, &other) == 0) {
                api_rest_error(res, 409, "SLUG_TAKEN", "a snapshot '%s' exists already", slug);
                return -EEXIST;
        }
        if (count_own(st, tok, true, AL_MAX_TOKEN_SNAPSHOTS) >= AL_MAX_TOKEN_SNAPSHOTS) {
                api_rest_error(res, 429, "TOO_MANY_SNAPSHOTS",
                               "this token keeps %d snapshots already: delete one first", AL_MAX_TOKEN_SNAPSHOTS);
                return -E2BIG;
        }
        return 0;
}

int api_console_snapshot_paths(const char *id, char *tmp, size_t tmp_len, char *final, size_t final_len)
{
        char dir[PATH_MAX];

        snprintf(dir, sizeof(dir), "%s/snapshots", console.state_dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        snprintf(final, final_len, "%s/%s.img", dir, id);
        snprintf(tmp, tmp_len, "%s/%s.img.tmp", dir, id);
        return 0;
}

/* The HTTP status an error from the runtime or the store deserves. */
static int status_of(int r)
{
        switch (-r) {
        case EINVAL:
                return 400;
        case ENOENT:
                return 404;
        case EBUSY:
        case EEXIST:
                return 409;
        case ENOSPC:
                return 507;
        default:
                return 500;
        }
}

static const char *code_of(int r)
{
        switch (-r) {
        case EINVAL:
                return "INVALID_REQUEST";
        case ENOENT:
                return "NOT_FOUND";
        case EBUSY:
                return "IN_USE";
        case EEXIST:
                return "SLUG_TAKEN";
        case ENOSPC:
                return "HOST_FULL";
        default:
                return "INTERNAL";
        }
}

static void fail(struct api_rest_res *res, int r, const struct al_error *err)
{
        api_rest_error(res, status_of(r), code_of(r), "%s", err->msg);
}

/* --- volumes ---------------------------------------------------------------- */

/* The source of a new volume: nothing, the image, or a snapshot. */
static bool volume_source(struct store *st, const char *tok, json_t *from, struct store_volume *v,
                          enum rt_volume_from *ret_from, const char **ret_name, struct api_rest_res *res)
{
        struct store_snapshot s;
        struct al_error err = { 0 };
        uint64_t size;

        *ret_from = RT_FROM_NOTHING;
        if (!from || json_is_null(from))
                return true;
        if (!json_is_string(from)) {
                api_rest_error(res, 400, "INVALID_REQUEST", "from must be \"" BUILTIN_IMAGE "\" or a snapshot");
                return false;
        }
        if (strcmp(json_string_value(from), BUILTIN_IMAGE) == 0) {
                if (v->capacity < MIN_BOOTABLE) {
                        api_rest_error(res, 400, "INVALID_REQUEST",
                                       "a volume from " BUILTIN_IMAGE " needs a capacity of at least 1GiB");
                        return false;
                }
                *ret_from = RT_FROM_IMAGE;
                *ret_name = console.image;
                v->bootable = true;
                return true;
        }
        if (store_snapshot_get(st, tok, json_string_value(from), &s) < 0) {
                api_rest_error(res, 404, "SNAPSHOT_NOT_FOUND", "no snapshot '%s' (from)", json_string_value(from));
                return false;
        }
        int r = rt_snapshot_size(console.state_dir, s.id, &size, &err);
        if (r >= 0 && size > v->capacity) {
                api_rest_error(res, 400, "INVALID_REQUEST",
                               "capacity %llu is smaller than snapshot '%s': it needs at least %llu bytes",
                               (unsigned long long)v->capacity, s.slug, (unsigned long long)size);
                return false;
        }
        if (r < 0) {
                fail(res, r, &err);
                return false;
        }
        *ret_from = RT_FROM_SNAPSHOT;
        snprintf(v->base_snapshot, sizeof(v->base_snapshot), "%s", s.id);
        *ret_name = v->base_snapshot;
        v->bootable = s.bootable;
        return true;
}

static bool region_of(json_t *body, char region[8], struct api_rest_res *res)
{
        const char *r = json_string_value(json_object_get(body, "region"));

        if (!json_object_get(body, "region") || json_is_null(json_object_get(body, "region")))
                r = "loc";
        if (!r || strlen(r) != 3 || strspn(r, "abcdefghijklmnopqrstuvwxyz") != 3) {
                api_rest_error(res, 400, "INVALID_REGION", "region must be three lowercase letters (e.g. \"ord\")");
                return false;
        }
        memcpy(region, r, 4);
        return true;
}

static void volume_create(struct store *st, const struct api_rest_req *req, struct api_rest_res *res)
{
        struct store_volume v = { 0 }, other;
        struct al_error err = { 0 };
        enum rt_volume_from from;
        const char *slug, *from_name = NULL, *tok = req->token->id;
        json_t *body = body_object(req, res);
        int r;

        if (!body)
                return;
        if (!(slug = body_slug(body, res)) || !region_of(body, v.region, res))
                goto out;
        r = api_console_capacity_parse(json_object_get(body, "capacity"), &v.capacity, &err);
        if (r < 0) {
                fail(res, r, &err);
                goto out;
        }
        if (!volume_source(st, tok, json_object_get(body, "from"), &v, &from, &from_name, res))
                goto out;
        if (store_volume_get(st, tok, slug, &other) == 0) {
                api_rest_error(res, 409, "SLUG_TAKEN", "a volume '%s' exists already", slug);
                goto out;
        }
        if (count_own(st, tok, false, AL_MAX_TOKEN_VOLUMES) >= AL_MAX_TOKEN_VOLUMES) {
                api_rest_error(res, 429, "TOO_MANY_VOLUMES", "this token keeps %d volumes already: delete one first",
                               AL_MAX_TOKEN_VOLUMES);
                goto out;
        }
        snprintf(v.slug, sizeof(v.slug), "%s", slug);
        snprintf(v.token_id, sizeof(v.token_id), "%s", tok);
        v.created_ms = 0; /* the store stamps it */
        if (store_id_generate("vol", v.id) < 0) {
                api_rest_error(res, 500, "INTERNAL", "cannot make a volume id");
                goto out;
        }
        r = rt_volume_make(console.state_dir, v.id, v.capacity, from, from_name, &err);
        if (r >= 0) {
                r = store_volume_insert(st, &v, &err);
                if (r < 0)
                        rt_volume_remove(console.state_dir, false, v.id);
        }
        if (r < 0) {
                fail(res, r, &err);
                goto out;
        }
        res->status = 200;
        res->body = store_volume_json(st, &v);
out:
        json_decref(body);
}

static void volume_delete(struct store *st, const struct store_volume *v, struct api_rest_res *res)
{
        struct al_error err = { 0 };
        int r = store_volume_delete(st, v->id, &err);

        if (r < 0) {
                fail(res, r, &err);
                return;
        }
        rt_volume_remove(console.state_dir, false, v->id);
        res->status = 200;
        res->body = json_object();
}

static void volume_snapshot(struct store *st, const struct api_rest_req *req, const struct store_volume *v,
                            struct api_rest_res *res)
{
        struct store_snapshot s = { 0 }, other;
        struct al_error err = { 0 };
        const char *slug, *tok = req->token->id;
        json_t *body = body_object(req, res);
        int r;

        if (!body)
                return;
        if (!(slug = body_slug(body, res)))
                goto out;
        if (v->attached_to[0]) {
                api_rest_error(res, 409, "IN_USE",
                               "volume '%s' is in use by sandbox %s: stop that sandbox first (a snapshot of a "
                               "volume in use would not be consistent)",
                               v->slug, v->attached_to);
                goto out;
        }
        if (store_snapshot_get(st, tok, slug, &other) == 0) {
                api_rest_error(res, 409, "SLUG_TAKEN", "a snapshot '%s' exists already", slug);
                goto out;
        }
        if (count_own(st, tok, true, AL_MAX_TOKEN_SNAPSHOTS) >= AL_MAX_TOKEN_SNAPSHOTS) {
                api_rest_error(res, 429, "TOO_MANY_SNAPSHOTS",
                               "this token keeps %d snapshots already: delete one first", AL_MAX_TOKEN_SNAPSHOTS);
                goto out;
        }
        snprintf(s.slug, sizeof(s.slug), "%s", slug);
        snprintf(s.token_id, sizeof(s.token_id), "%s", tok);
        snprintf(s.region, sizeof(s.region), "%s", v->region);
        snprintf(s.volume_id, sizeof(s.volume_id), "%s", v->id);
        snprintf(s.volume_slug, sizeof(s.volume_slug), "%s", v->slug);
        s.bootable = v->bootable;
        s.flattened_size = v->capacity;
        if (store_id_generate("snp", s.id) < 0) {
                api_rest_error(res, 500, "INTERNAL", "cannot make a snapshot id");
                goto out;
        }
        r = rt_volume_snapshot(console.state_dir, v->id, s.id, &s.allocated_size, &err);
        if (r >= 0) {
                r = store_snapshot_insert(st, &s, &err);
                if (r < 0)
                        rt_volume_remove(console.state_dir, true, s.id);
        }
        if (r < 0) {
                fail(res, r, &err);
                goto out;
        }
        res->status = 200;
        res->body = store_snapshot_json(&s);
out:
        json_decref(body);
}

static void volume_item(struct store *st, const struct api_rest_req *req, const char *name, bool snapshot_action,
                        struct api_rest_res *res)
{
        struct store_volume v;
        int m = req->method;

        if (store_volume_get(st, req->token->id, name, &v) < 0) {
                api_rest_error(res, 404, "VOLUME_NOT_FOUND", "no volume '%s'", name);
                return;
        }
        if (snapshot_action && m == HTTP_POST)
                volume_snapshot(st, req, &v, res);
        else if (!snapshot_action && m == HTTP_GET) {
                res->status = 200;
                res->body = store_volume_json(st, &v);
        } else if (!snapshot_action && m == HTTP_DELETE)
                volume_delete(st, &v, res);
        else
                api_rest_error(res, 405, "METHOD_NOT_ALLOWED", "method not allowed here");
}

/* --- snapshots -------------------------------------------------------------- */

static void snapshot_item(struct store *st, const struct api_rest_req *req, const char *name, struct api_rest_res *res)
{
        struct store_snapshot s;
        struct al_error err = { 0 };
        int r;

        if (store_snapshot_get(st, req->token->id, name, &s) < 0) {
                api_rest_error(res, 404, "SNAPSHOT_NOT_FOUND", "no snapshot '%s'", name);
                return;
        }
        if (req->method == HTTP_GET) {
                res->status = 200;
                res->body = store_snapshot_json(&s);
        } else if (req->method == HTTP_DELETE) {
                r = store_snapshot_delete(st, s.id, &err);
                if (r < 0) {
                        fail(res, r, &err);
                        return;
                }
                /* A sandbox booted from it keeps its open copy until it ends. */
                rt_volume_remove(console.state_dir, true, s.id);
                res->status = 200;
                res->body = json_object();
        } else {
                api_rest_error(res, 405, "METHOD_NOT_ALLOWED", "method not allowed here");
        }
}

/* --- routing ---------------------------------------------------------------- */

/* One path segment as the SDK sends it (encodeURIComponent of an id or a
 * slug, which need no escapes); anything else names nothing. */
static bool segment(const char *p, size_t n, char buf[STORE_NAME_MAX + 1])
{
        if (n == 0 || n > STORE_NAME_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = p[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._-", c)))
                        return false;
        }
        memcpy(buf, p, n);
        buf[n] = '\0';
        return true;
}

/* What follows prefix in path when path is prefix or below it, else NULL. */
static const char *collection(const char *path, const char *prefix)
{
        size_t n = strlen(prefix);

        if (strncmp(path, prefix, n) != 0 || (path[n] != '\0' && path[n] != '/'))
                return NULL;
        return path + n;
}

bool api_console_route(struct store *st, const struct api_rest_req *req, struct api_rest_res *res)
{
        char name[STORE_NAME_MAX + 1];
        const char *p = collection(req->path, "/api/v2/volumes");
        bool snapshots = false;

        if (!p) {
                p = collection(req->path, "/api/v2/snapshots");
                snapshots = true;
        }
        if (!p)
                return false;
        if (*p == '\0' || strcmp(p, "/") == 0) {
                if (req->method == HTTP_GET)
                        list(st, req, res, snapshots);
                else if (req->method == HTTP_POST && !snapshots)
                        volume_create(st, req, res);
                else
                        api_rest_error(res, 405, "METHOD_NOT_ALLOWED", "method not allowed here");
                return true;
        }
        p++;
        size_t n = strcspn(p, "/");
        bool action = !snapshots && strcmp(p + n, "/snapshot") == 0;
        if (!segment(p, n, name) || (p[n] && !action)) {
                api_rest_error(res, 404, snapshots ? "SNAPSHOT_NOT_FOUND" : "VOLUME_NOT_FOUND", "no such %s",
                               snapshots ? "snapshot" : "volume");
                return true;
        }
        if (snapshots)
                snapshot_item(st, req, name, res);
        else
                volume_item(st, req, name, action, res);
        return true;
}

/* --- sandboxes -------------------------------------------------------------- */

/* The volumes each sandbox of this process holds, so that its end detaches
 * them without a walk over every volume. Sandboxes of an earlier airlockd
 * are not here: their end walks the store. */
struct holder {
        struct holder *next;
        char sandbox[STORE_ID_MAX];
        unsigned n;
        char volumes[AL_MAX_SANDBOX_VOLUMES + 1][STORE_ID_MAX];
};
static struct holder *holders;

static bool paths_clash(const char *a, const char *b)
{
        size_t na = strlen(a), nb = strlen(b), n = na < nb ? na : nb;

        return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/') && (b[n] == '\0' || b[n] == '/');
}

static int parse_volumes(struct store *st, const char *tok, json_t *vols, struct rt_config *rc, struct al_error *err)
{
        struct store_volume v;
        size_t i;
        json_t *e;

        if (vols && !json_is_array(vols))
                return al_error_setx(err, EINVAL, "volumes must be an array of {volume, path}");
        if (json_array_size(vols) > AL_MAX_SANDBOX_VOLUMES)
                return al_error_setx(err, EINVAL, "at most %d volumes per sandbox", AL_MAX_SANDBOX_VOLUMES);
        json_array_foreach (vols, i, e) {
                const char *name = json_string_value(json_object_get(e, "volume"));
                const char *path = json_string_value(json_object_get(e, "path")), *why;
                if (!name || !path)
                        return al_error_setx(err, EINVAL, "volumes[%zu] needs a volume and a path", i);
                if (!rt_volume_path_valid(path, &why))
                        return al_error_setx(err, EINVAL, "volume path '%.64s' %s", path, why);
                if (store_volume_get(st, tok, name, &v) < 0)
                        return al_error_setx(err, ENOENT, "no volume '%.64s'", name);
                for (unsigned j = 0; j < rc->n_volumes; j++) {
                        if (strcmp(rc->volumes[j].id, v.id) == 0)
                                return al_error_setx(err, EINVAL, "volume '%s' is listed twice", v.slug);
                        if (paths_clash(rc->volumes[j].path, path))
                                return al_error_setx(err, EINVAL, "volume paths %s and %s overlap", rc->volumes[j].path,
                                                     path);
                }
                struct rt_volume_mount *m = &rc->volumes[rc->n_volumes++];
                snprintf(m->id, sizeof(m->id), "%s", v.id);
                snprintf(m->path, sizeof(m->path), "%s", path);
        }
        return 0;
}

/* root: {volume: id or slug} of a bootable volume or snapshot. */
static int parse_root(struct store *st, const char *tok, json_t *root, struct rt_config *rc, struct al_error *err)
{
        const char *name = json_string_value(json_object_get(root, "volume"));
        struct store_volume v;
        struct store_snapshot s;

        rc->root_kind = RT_ROOT_IMAGE;
        if (!root || json_is_null(root))
                return 0;
        if (!name)
                return al_error_setx(err, EINVAL, "root must be {\"volume\": a volume or snapshot}");
        if (store_volume_get(st, tok, name, &v) == 0) {
                if (!v.bootable)
                        return al_error_setx(err, EINVAL,
                                             "volume '%s' holds no root filesystem: make it from \"" BUILTIN_IMAGE
                                             "\" or a bootable snapshot",
                                             v.slug);
                for (unsigned j = 0; j < rc->n_volumes; j++)
                        if (strcmp(rc->volumes[j].id, v.id) == 0)
                                return al_error_setx(err, EINVAL, "volume '%s' cannot be the root and a mount", v.slug);
                rc->root_kind = RT_ROOT_VOLUME;
                snprintf(rc->root_id, sizeof(rc->root_id), "%s", v.id);
                return 0;
        }
        if (store_snapshot_get(st, tok, name, &s) == 0) {
                if (!s.bootable)
                        return al_error_setx(err, EINVAL, "snapshot '%s' holds no root filesystem", s.slug);
                rc->root_kind = RT_ROOT_SNAPSHOT;
                snprintf(rc->root_id, sizeof(rc->root_id), "%s", s.id);
                return 0;
        }
        return al_error_setx(err, ENOENT, "no volume or snapshot '%.64s' for the root", name);
}

static void detach_all(struct store *st, struct holder *h)
{
        struct al_error err = { 0 };

        for (unsigned i = 0; i < h->n; i++)
                (void)store_volume_attach(st, h->volumes[i], NULL, &err);
}

int api_console_sandbox_storage(struct store *st, const struct store_token *tok, json_t *cfg, const char *sandbox_id,
                                struct rt_config *rc, struct al_error *err)
{
        struct holder *h;
        int r;

        rc->n_volumes = 0;
        rc->root_kind = RT_ROOT_IMAGE;
        rc->root_id[0] = '\0';
        r = parse_volumes(st, tok->id, json_object_get(cfg, "volumes"), rc, err);
        if (r >= 0)
                r = parse_root(st, tok->id, json_object_get(cfg, "root"), rc, err);
        if (r < 0) {
                rc->n_volumes = 0;
                rc->root_kind = RT_ROOT_IMAGE;
                return r;
        }
        h = calloc(1, sizeof(*h));
        if (!h)
                return al_error_set(err, ENOMEM, "remember the sandbox's volumes");
        snprintf(h->sandbox, sizeof(h->sandbox), "%s", sandbox_id);
        for (unsigned i = 0; i <= rc->n_volumes && r >= 0; i++) {
                const char *id = i < rc->n_volumes                 ? rc->volumes[i].id
                                 : rc->root_kind == RT_ROOT_VOLUME ? rc->root_id
                                                                   : NULL;
                if (!id)
                        break;
                r = store_volume_attach(st, id, sandbox_id, err);
                if (r >= 0)
                        snprintf(h->volumes[h->n++], STORE_ID_MAX, "%s", id);
        }
        if (r < 0) {
                detach_all(st, h);
                free(h);
                rc->n_volumes = 0;
                rc->root_kind = RT_ROOT_IMAGE;
                return r;
        }
        h->next = holders;
        holders = h;
        return 0;
}

/* A sandbox of an earlier airlockd: find its volumes in the store. */
static void released_unknown(struct store *st, const char *sandbox_id)
{
        char cursor[STORE_ID_MAX] = "", next[STORE_ID_MAX];
        struct al_error err = { 0 };

        do {
                json_t *page = store_volume_list(st, NULL, NULL, cursor, STORE_PAGE_MAX, next), *e;
                size_t i;
                json_array_foreach (page, i, e) {
                        struct store_volume v;
                        const char *id = json_string_value(json_object_get(e, "id"));
                        if (id && store_volume_get(st, NULL, id, &v) == 0 && strcmp(v.attached_to, sandbox_id) == 0)
                                (void)store_volume_attach(st, v.id, NULL, &err);
                }
                json_decref(page);
                memcpy(cursor, next, sizeof(cursor));
        } while (next[0]);
}

void api_console_sandbox_released(struct store *st, const char *sandbox_id)
{
        for (struct holder **p = &holders; *p; p = &(*p)->next) {
                struct holder *h = *p;
                if (strcmp(h->sandbox, sandbox_id) == 0) {
                        *p = h->next;
                        detach_all(st, h);
                        free(h);
                        return;
                }
        }
        released_unknown(st, sandbox_id);
}
