/* SPDX-License-Identifier: Apache-2.0 */
/* `airlock snapshot ID SLUG`: a running sandbox's filesystem frozen into a
 * bootable snapshot in one call (POST /api/airlock/v1/sandboxes/{id}/snapshot
 * {"slug"}). The steps, each undone when a later one fails:
 *
 *   1. runtime/lend.c makes a fresh image and lends it to the sandbox at
 *      /dev/.airlock, idmapped to the sandbox's users;
 *   2. every process of the sandbox but airlock-init is stopped (SIGSTOP),
 *      so that the copy sees one moment;
 *   3. `cp` runs inside the sandbox as its root, confined like everything
 *      else there, copying the root filesystem (one filesystem: not /proc,
 *      /dev, /sys, volumes) onto the lent image;
 *   4. the processes continue, the image is taken back, checked, shrunk to
 *      its contents and recorded as a snapshot the token owns.
 *
 * The sandbox keeps running throughout; its processes are stopped for the
 * copy only. The strict profile has no root inside, so no snapshot. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "console.h"
#include "sbxsnap.h"
#include "sandbox/live.h"

#define SNAP_ERR_MAX 512 /* what cp says on stderr, kept for the error */

struct api_snap_job {
        struct sbx_peer peer; /* first: the sandbox sees us as this */
        struct store *st;
        struct sbx *sbx;
        struct store_snapshot snap;
        char tmp[PATH_MAX], final[PATH_MAX];
        struct rt_lend lend;
        uint32_t proc;
        bool paused, attached, attaching, refused, finished;
        char err_text[SNAP_ERR_MAX];
        size_t err_len;
        struct timespec t0;
        api_snap_done done;
        void *done_arg;
};

static void peer_send(struct sbx_peer *p, json_t *msg)
{
        json_decref(msg);
}

static size_t peer_backlog(struct sbx_peer *p)
{
        return 0;
}

static void reply(struct api_snap_job *j, int status, json_t *body)
{
        if (j->done)
                j->done(j->done_arg, status, body);
        else
                json_decref(body);
        j->done = NULL;
}

static json_t *error_body(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *error_body(const char *code, const char *fmt, ...)
{
        char msg[AL_MAX_ERRMSG + SNAP_ERR_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return json_pack("{s:s,s:s}", "code", code, "message", msg);
}

/* Everything undone that is still there; the job's memory goes when no
 * callback of the sandbox's can reach it any more. */
static void finish(struct api_snap_job *j, bool keep_image)
{
        struct al_error err = { 0 };

        if (j->paused)
                rt_sandbox_pause(sbx_rt(j->sbx), false);
        j->paused = false;
        if (j->lend.loop_fd >= 0 || j->lend.lent)
                (void)rt_sandbox_unlend(sbx_rt(j->sbx), &j->lend, j->tmp, &err);
        if (!keep_image)
                unlink(j->tmp);
        j->finished = true;
}

static void job_free(struct api_snap_job *j)
{
        struct sbx *s = j->sbx;

        if (j->attached) {
                j->attached = false;
                sbx_detach(s, &j->peer);
        }
        free(j);
}

/* The sandbox ends under us: its mounts go with it, the image is dropped. */
static void peer_close(struct sbx_peer *p, int code, const char *reason)
{
        struct api_snap_job *j = (struct api_snap_job *)p;

        j->attached = false;
        if (j->attaching) { /* sbx_attach refused us: the caller answers */
                j->refused = true;
                return;
        }
        if (!j->finished) {
                j->paused = false;
                j->lend.lent = false;
                if (j->lend.loop_fd >= 0)
                        close(j->lend.loop_fd);
                j->lend.loop_fd = -1;
                unlink(j->tmp);
                j->finished = true;
                reply(j, 409, error_body("SANDBOX_ENDED", "the sandbox ended during the snapshot (%s)", reason));
        }
        free(j);
}

static void on_output(void *arg, bool is_stderr, const uint8_t *p, size_t n)
{
        struct api_snap_job *j = arg;

        if (is_stderr && j->err_len < sizeof(j->err_text) - 1) {
                size_t room = sizeof(j->err_text) - 1 - j->err_len;
                memcpy(j->err_text + j->err_len, p, n < room ? n : room);
                j->err_len += n < room ? n : room;
                j->err_text[j->err_len] = '\0';
        }
        sbx_proc_ack(j->sbx, j->proc, (uint32_t)n);
}

static void on_stdin_credit(void *arg)
{
}

static double elapsed_s(const struct api_snap_job *j)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)(t.tv_sec - j->t0.tv_sec) + (double)(t.tv_nsec - j->t0.tv_nsec) / 1e9;
}

static void on_exit_cb(void *arg, int code, int signo)
{
        struct api_snap_job *j = arg;
        struct al_error err = { 0 };
        struct stat st;
        int r = 0;

        /* The copy is over: the sandbox goes on at once. */
        rt_sandbox_pause(sbx_rt(j->sbx), false);
        j->paused = false;
        if (code != 0) {
                j->err_text[strcspn(j->err_text, "\n")] = '\0';
                finish(j, false);
                reply(j, 500,
                      error_body("SNAPSHOT_FAILED", "copying the sandbox's files failed (cp exit status %d)%s%s", code,
                                 j->err_text[0] ? ": " : "", j->err_text));
                job_free(j);
                return;
        }
        r = rt_sandbox_unlend(sbx_rt(j->sbx), &j->lend, j->tmp, &err);
        if (r >= 0 && (stat(j->tmp, &st) < 0 || rename(j->tmp, j->final) < 0))
                r = al_error_set(&err, errno, "name the snapshot's image");
        if (r >= 0) {
                j->snap.allocated_size = (uint64_t)st.st_blocks * 512;
                j->snap.flattened_size = (uint64_t)st.st_size;
                r = store_snapshot_insert(j->st, &j->snap, &err);
                if (r < 0)
                        unlink(j->final);
        }
        finish(j, r >= 0);
        if (r < 0) {
                reply(j, r == -EBUSY ? 409 : 500, error_body("SNAPSHOT_FAILED", "%s", err.msg));
        } else {
                char secs[32], mib[32];
                snprintf(secs, sizeof(secs), "%.2f", elapsed_s(j));
                snprintf(mib, sizeof(mib), "%llu", (unsigned long long)(j->snap.flattened_size >> 20));
                al_log(AL_LOG_INFO, "snapshot", "made from a running sandbox", "sandbox", sbx_id(j->sbx), "snapshot",
                       j->snap.id, "slug", j->snap.slug, "mib", mib, "s", secs, NULL);
                reply(j, 200, store_snapshot_json(&j->snap));
        }
        job_free(j);
}

static void on_failed(void *arg, int e, const char *msg)
{
        struct api_snap_job *j = arg;

        finish(j, false);
        reply(j, 500, error_body("SNAPSHOT_FAILED", "the copy did not start: %s", msg));
        job_free(j);
}

static const struct sbx_proc_sink copy_sink = {
        .on_output = on_output,
        .on_stdin_credit = on_stdin_credit,
        .on_exit = on_exit_cb,
        .on_failed = on_failed,
};

static int start(struct api_snap_job *j, struct al_error *err)
{
        json_t *req;
        int r;

        json_int_t kind = json_integer_value(sbx_state_get(j->sbx, "root_kind"));
        struct rt_lend_size size = {
                .state_dir = api_console_state_dir(),
                .image = api_console_image(),
                .root_kind = kind == RT_ROOT_SNAPSHOT ? RT_ROOT_SNAPSHOT
                             : kind == RT_ROOT_VOLUME ? RT_ROOT_VOLUME
                                                      : RT_ROOT_IMAGE,
                .root_id = json_string_value(sbx_state_get(j->sbx, "root_id")) ?: "",
        };

        clock_gettime(CLOCK_MONOTONIC, &j->t0);
        r = rt_sandbox_lend(sbx_rt(j->sbx), j->tmp, &size, &j->lend, err);
        if (r < 0)
                return r;
        j->paused = rt_sandbox_pause(sbx_rt(j->sbx), true) >= 0;
        /* clang-format off */
        req = json_pack("{s:[s,s,s,s,s,s],s:s,s:b,s:b,s:s,s:s}",
                        "argv", "cp", "-dRx", "--preserve=mode,ownership,timestamps,links", "--sparse=always",
                        "/.", RT_LEND_PATH "/",
                        "user", "root", "tty", 0, "stdin", 0, "stdout", "null", "cwd", "/");
        /* clang-format on */
        if (!req)
                return al_error_set(err, ENOMEM, "make the copy's request");
        r = sbx_proc_spawn(j->sbx, &j->peer, req, &copy_sink, j, &j->proc);
        json_decref(req);
        if (r < 0)
                return al_error_set(err, -r, "start the copy in the sandbox");
        return 0;
}

struct api_snap_job *api_snapshot_sandbox(struct store *st, struct sbx *s, const struct store_token *tok,
                                          const char *body, size_t len, api_snap_done done, void *arg,
                                          struct api_rest_res *res)
{
        json_t *b = json_loadb(body, len, 0, NULL);
        const char *slug = json_string_value(json_object_get(b, "slug"));
        struct api_snap_job *j;
        struct al_error err = { 0 };

        if (!slug || !api_console_slug_valid(slug)) {
                api_rest_error(res, 400, "INVALID_SLUG",
                               "slug: 1 to %d of [A-Za-z0-9._-], starting with a letter or a digit", STORE_NAME_MAX);
                json_decref(b);
                return NULL;
        }
        if (api_console_snapshot_precheck(st, tok->id, slug, res) < 0) {
                json_decref(b);
                return NULL;
        }
        if (json_is_true(sbx_state_get(s, "strict"))) {
                api_rest_error(res, 409, "STRICT_PROFILE",
                               "the strict profile has no root inside the sandbox to copy every file: "
                               "snapshots need the default profile");
                json_decref(b);
                return NULL;
        }
        j = calloc(1, sizeof(*j));
        if (!j) {
                api_rest_error(res, 500, "INTERNAL", "out of memory");
                json_decref(b);
                return NULL;
        }
        j->peer = (struct sbx_peer){ .send = peer_send, .backlog = peer_backlog, .close = peer_close };
        j->st = st;
        j->sbx = s;
        j->lend.loop_fd = -1;
        j->done = done;
        j->done_arg = arg;
        snprintf(j->snap.slug, sizeof(j->snap.slug), "%s", slug);
        json_decref(b);
        snprintf(j->snap.token_id, sizeof(j->snap.token_id), "%s", tok->id);
        snprintf(j->snap.region, sizeof(j->snap.region), "loc");
        j->snap.bootable = true;
        if (store_id_generate("snp", j->snap.id) < 0 ||
            api_console_snapshot_paths(j->snap.id, j->tmp, sizeof(j->tmp), j->final, sizeof(j->final)) < 0) {
                api_rest_error(res, 500, "INTERNAL", "cannot make a snapshot id");
                free(j);
                return NULL;
        }
        j->attaching = j->attached = true;
        sbx_attach(s, &j->peer, false);
        j->attaching = false;
        if (j->refused) {
                api_rest_error(res, 429, "TOO_MANY_PEERS", "the sandbox has too many connections");
                free(j);
                return NULL;
        }
        if (start(j, &err) < 0) {
                j->done = NULL;
                finish(j, false);
                job_free(j);
                api_rest_error(res, err.code == EBUSY ? 409 : 500, "SNAPSHOT_FAILED", "%s", err.msg);
                return NULL;
        }
        return j;
}

void api_snapshot_forget(struct api_snap_job *j)
{
        if (j)
                j->done = NULL; /* the client left: the snapshot is still made */
}
