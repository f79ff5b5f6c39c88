/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: airlock-init's side of the channel, with airlockd's reading of
 * what comes back. The input is what airlockd (or whoever holds the channel)
 * sends; it goes through airlock-init's own frame handling (main.c, included
 * below with its main() renamed) into every method it parses: the file
 * system, environment and handle methods (fs.c), walk and expandGlob
 * (walk.c), procStatus/procSignal (adopt.c), listeningPorts (deno.c), and
 * the spawn request (proc.c, parsed without the fork: fuzz_init_spawn.c).
 * Every byte airlock-init queues in reply must then decode as airlockd
 * decodes it: whole frames, reply parts joined into one JSON object holding
 * "ok" or "error".
 *
 * The first byte picks the shape of the rest: 0 a call's JSON (split in
 * parts of a size the byte also gives), 1 a spawn request's JSON, 2 raw
 * frames.
 *
 * The methods really act on files. So that no input can touch the host,
 * LLVMFuzzerInitialize() moves the fuzzer into a mount namespace whose root
 * is a small tmpfs (with /proc and the fuzzer's own directories bound in,
 * read-only but for $FUZZ_INIT_RW) and drops to uid/gid 65534. That needs
 * root; without it the target refuses to start (run.sh skips it). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sanitizer/common_interface_defs.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int fuzz_init_main_unused(void);
#define main fuzz_init_main_unused
#include "../../src/init/main.c"
#undef main

#include "fuzz_init.h"

#define FUZZ_ROOT "/mnt"  /* hidden by the tmpfs in our namespace only */
#define FUZZ_UID 65534    /* nobody: owns nothing of the host's */
#define FUZZ_CALL_ID 7

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct init_state fz;

static void die(const char *what)
{
        fprintf(stderr, "fuzz_init: %s: %s (the file methods run in a scratch root, which needs root)\n", what,
                strerror(errno));
        exit(1);
}

static void mkdir_p(const char *path, mode_t mode)
{
        char buf[PATH_MAX];

        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                (void)mkdir(buf, mode);
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                die(buf);
}

static void put_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        if (fd < 0 || al_write_all(fd, text, strlen(text)) < 0)
                die(path);
        close(fd);
}

/* Bind host directory src at the same path inside the scratch root. */
static void bind_in(const char *src, bool rw)
{
        char real[PATH_MAX], dst[PATH_MAX + sizeof(FUZZ_ROOT)];

        if (!realpath(src, real))
                return; /* libFuzzer says what is missing */
        snprintf(dst, sizeof(dst), FUZZ_ROOT "%s", real);
        mkdir_p(dst, 0755);
        if (mount(real, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                die(dst);
        if (!rw && mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
                die(dst);
        if (rw && chown(real, FUZZ_UID, FUZZ_UID) < 0)
                die(real);
}

static bool under(const char *path, const char *dir)
{
        char real[PATH_MAX];
        size_t n = strlen(dir);

        return dir[0] && realpath(path, real) && strncmp(real, dir, n) == 0 && (real[n] == '/' || !real[n]);
}

/* The corpus directories, files and artifact prefix on the command line. */
static void bind_args(int argc, char **argv)
{
        char rw[PATH_MAX] = "", dir[PATH_MAX];
        const char *env = getenv("FUZZ_INIT_RW");

        if (env && !realpath(env, rw))
                die(env);
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                struct stat sb;
                if (strncmp(a, "-artifact_prefix=", 17) == 0)
                        a += 17;
                else if (a[0] == '-')
                        continue;
                snprintf(dir, sizeof(dir), "%s", a);
                if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
                        char *slash = strrchr(dir, '/');
                        if (!slash)
                                continue; /* in the working directory, bound below */
                        *slash = '\0';
                }
                if (dir[0])
                        bind_in(dir, under(dir, rw));
        }
}

static void scratch_tree(void)
{
        mkdir_p(FUZZ_ROOT "/home/app/src/lib", 0755);
        mkdir_p(FUZZ_ROOT "/tmp", 01777);
        mkdir_p(FUZZ_ROOT "/etc", 0755);
        put_file(FUZZ_ROOT "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                          "app:x:65534:65534:app:/home/app:/bin/bash\n");
        put_file(FUZZ_ROOT "/home/app/hello.txt", "hello\n");
        put_file(FUZZ_ROOT "/home/app/src/main.ts", "console.log(1)\n");
        put_file(FUZZ_ROOT "/home/app/src/lib/util.js", "export {}\n");
        if (symlink("..", FUZZ_ROOT "/home/app/src/up") < 0 || symlink("loop", FUZZ_ROOT "/home/app/loop") < 0 ||
            mkfifo(FUZZ_ROOT "/home/app/fifo", 0644) < 0)
                die("scratch tree");
        if (chown(FUZZ_ROOT "/home/app", FUZZ_UID, FUZZ_UID) < 0 ||
            chown(FUZZ_ROOT "/home/app/src", FUZZ_UID, FUZZ_UID) < 0)
                die("chown");
        chmod(FUZZ_ROOT "/tmp", 01777);
}

static void confine(int argc, char **argv)
{
        char cwd[PATH_MAX], inside[PATH_MAX + sizeof(FUZZ_ROOT)], out[256];

        if (!getcwd(cwd, sizeof(cwd)))
                die("getcwd");
        if (unshare(CLONE_NEWNS) < 0)
                die("unshare(CLONE_NEWNS)");
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                die("mount --make-rprivate /");
        if (mount("tmpfs", FUZZ_ROOT, "tmpfs", MS_NOSUID | MS_NODEV, "size=32m,mode=0755") < 0)
                die("mount tmpfs");
        scratch_tree();
        bind_in("/proc", false); /* ASan and LSan read /proc/self; listeningPorts reads /proc */
        bind_args(argc, argv);
        /* relative corpus paths keep working: the same working directory
         * inside, holding only what bind_args() bound (not the whole tree,
         * which a walk of "/" would then read) */
        snprintf(inside, sizeof(inside), FUZZ_ROOT "%s", cwd);
        mkdir_p(inside, 0755);
        /* Start ASan's symbolizer now, outside: a report inside still gets
         * function names and lines. */
        __sanitizer_symbolize_pc(__builtin_return_address(0), "%p %F %L", out, sizeof(out));
        if (chdir(FUZZ_ROOT) < 0 || chroot(".") < 0 || chdir(cwd) < 0)
                die("chroot");
        if (setgroups(0, NULL) < 0 || setresgid(FUZZ_UID, FUZZ_UID, FUZZ_UID) < 0 ||
            setresuid(FUZZ_UID, FUZZ_UID, FUZZ_UID) < 0)
                die("dropping to uid 65534");
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0); /* LeakSanitizer ptraces its own threads */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        if (getuid() != 0) {
                errno = EPERM;
                die("not root");
        }
        confine(*argc, *argv);
        fz.chan = -1;
        fz.strict = true; /* no fsuid switching: we are nobody already */
        fz.app_uid = FUZZ_UID;
        fz.app_gid = FUZZ_UID;
        snprintf(home, sizeof(home), "/home/app");
        al_buf_init(&fz.out, AL_CHAN_MAX_QUEUE);
        al_buf_init(&fz.in, AL_CHAN_HDR + AL_CHAN_MAX_PAYLOAD + 65536);
        al_buf_init(&fz.call, AL_MAX_CALL);
        fz.env = json_object();
        for (int i = 0; i < AL_MAX_HANDLES; i++)
                fz.handles[i] = -1;
        for (int i = 0; i < AL_MAX_PROCS; i++)
                fz.procs[i] = (struct init_proc){ .in_fd = -1, .out_fd = -1, .err_fd = -1 };
        return 0;
}

/* A frame from airlockd, as airlock-init's loop would hand it on; a spawn
 * only parses (no fork), a shutdown is not obeyed (it kills every process). */
static void dispatch(const struct al_frame *f)
{
        if (f->type == AL_MSG_SPAWN)
                (void)fuzz_init_spawn_parse(&fz, f->payload, f->len);
        else if (f->type != AL_MSG_SHUTDOWN)
                on_frame(&fz, f);
}

static void feed_call(const uint8_t *data, size_t size, size_t step)
{
        size_t off = 0;

        do {
                size_t n = size - off > step ? step : size - off;
                struct al_frame f = { .len = (uint32_t)n, .id = FUZZ_CALL_ID, .payload = data + off,
                                      .type = off + n < size ? AL_MSG_CALL_PART : AL_MSG_CALL };
                dispatch(&f);
                off += n;
        } while (off < size);
}

static void feed_frames(const uint8_t *data, size_t size)
{
        struct al_frame f;
        long used;

        while ((used = al_chan_decode(data, size, &f)) > 0) {
                dispatch(&f);
                data += used;
                size -= (size_t)used;
        }
}

/* airlockd's side (sandbox/live.c on_chan_read and on_reply): every frame
 * decodes, a reply's parts join into an envelope, an error carries an errno. */
static void check_output(void)
{
        const uint8_t *p = al_buf_head(&fz.out);
        size_t n = al_buf_size(&fz.out);
        struct al_buf reply;
        struct al_frame f;

        al_buf_init(&reply, AL_MAX_CALL);
        while (n) {
                long used = al_chan_decode(p, n, &f);
                if (used <= 0)
                        __builtin_trap();
                if (f.type == AL_MSG_REPLY_PART || f.type == AL_MSG_REPLY) {
                        if (al_buf_append(&reply, f.payload, f.len) < 0)
                                __builtin_trap();
                        if (f.type == AL_MSG_REPLY) {
                                json_t *v = json_loadb((const char *)al_buf_head(&reply), al_buf_size(&reply), 0,
                                                       NULL);
                                if (!json_is_object(v) || (!json_object_get(v, "ok") && !json_object_get(v, "error")))
                                        __builtin_trap();
                                json_decref(v);
                                al_buf_free(&reply);
                        }
                } else if (f.type != AL_MSG_ERROR || f.len < 4) {
                        __builtin_trap();
                }
                p += used;
                n -= (size_t)used;
        }
        if (al_buf_size(&reply)) /* a reply without its last part */
                __builtin_trap();
        al_buf_free(&reply);
}

/* Nothing carries over from one input to the next but the scratch files. */
static void reset(void)
{
        for (int i = 0; i < AL_MAX_HANDLES; i++) {
                if (fz.handles[i] >= 0)
                        close(fz.handles[i]);
                fz.handles[i] = -1;
        }
        json_decref(fz.env);
        fz.env = json_object();
        fz.env_bytes = 0;
        al_buf_free(&fz.out);
        al_buf_free(&fz.call);
        umask(022);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        uint8_t mode = data[0] % 3;
        size_t step = data[0] >> 2 ? (size_t)(data[0] >> 2) * 16 : size + 1;

        data++;
        size--;
        if (mode == 0)
                feed_call(data, size, step);
        else if (mode == 1)
                (void)fuzz_init_spawn_parse(&fz, data, size);
        else
                feed_frames(data, size);
        check_output();
        reset();
        return 0;
}
