/* SPDX-License-Identifier: Apache-2.0 */
/* Lending a running sandbox a filesystem for a moment: the target of
 * `airlock snapshot`. airlockd makes a fresh ext4 image on the host, mounts
 * it at /dev/.airlock inside the sandbox (a directory of host root's in the
 * sandbox's own /dev, which nothing inside can replace), idmapped so that
 * what the sandbox's root writes is stored with the sandbox's own ids, and
 * lets a copy run *inside* the sandbox, with every confinement it has: the
 * host never walks the sandbox's files (ARCHITECTURE rule 2) and never
 * parses bytes the sandbox chose (the image is written by the kernel's ext4
 * driver only). Then it takes the image back, makes sure nothing inside
 * still holds it, checks it with e2fsck and shrinks it.
 *
 * The mounts are made by a short-lived child that enters the sandbox's mount
 * namespace: airlockd itself never leaves its own. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_internal.h"

#define LEND_RELEASE_WAIT_MS 2000 /* for the last file on the image to close */

static void nap_ms(long ms)
{
        nanosleep(&(struct timespec){ .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 }, NULL);
}

/* --- stopping the sandbox's processes ------------------------------------ */

static int procs_path(const struct rt_sandbox *sb, char *buf, size_t len)
{
        const struct rt_cgroup_roots *r = rt_cgroup_roots_get();
        const char *root = r->version == RT_CG_V2 ? r->unified : r->pids;

        if (!root[0])
                return -ENOENT;
        snprintf(buf, len, "%s/" RT_CG_GROUP "/%s/cgroup.procs", root, sb->id);
        return 0;
}

int rt_sandbox_pause(const struct rt_sandbox *sb, bool pause)
{
        char path[PATH_MAX + 64], buf[65536];
        int sig = pause ? SIGSTOP : SIGCONT;
        int signalled = 0;

        if (procs_path(sb, path, sizeof(path)) < 0)
                return -ENOENT;
        /* A process may fork while we go: three passes catch its children
         * (the pids limit bounds how many there can be). */
        for (int pass = 0; pass < (pause ? 3 : 1); pass++) {
                _cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                ssize_t n;

                if (fd < 0)
                        return -errno;
                n = read(fd, buf, sizeof(buf) - 1);
                if (n < 0)
                        return -errno;
                buf[n] = '\0';
                signalled = 0;
                for (char *save = NULL, *t = strtok_r(buf, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
                        pid_t pid = (pid_t)strtol(t, NULL, 10);
                        if (pid <= 0 || pid == sb->pid) /* airlock-init keeps serving */
                                continue;
                        if (kill(pid, sig) == 0)
                                signalled++;
                }
        }
        return signalled;
}

/* --- the image ------------------------------------------------------------ */

/* In a child: enter the sandbox's mount namespace and run fn there. */
static int in_sandbox_mounts(const struct rt_sandbox *sb, int (*fn)(const struct rt_sandbox *, int), int arg,
                             const char *what, struct al_error *err)
{
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return al_error_set(err, errno, "fork");
        if (pid == 0) {
                if (setns(sb->mntns_fd, CLONE_NEWNS) < 0)
                        _exit(125);
                _exit(fn(sb, arg) < 0 ? 126 : 0);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return al_error_set(err, errno, "wait for the mount helper");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return al_error_setx(err, EIO, "%s inside the sandbox failed%s", what,
                                     WIFEXITED(status) && WEXITSTATUS(status) == 125 ? " (cannot enter its mounts)"
                                                                                     : "");
        return 0;
}

/* The bytes used on the sandbox's root as its own statfs sees them: the
 * writable layer, or the volume it boots from. */
static int measure_cb(const struct rt_sandbox *sb, int pipe_fd)
{
        struct statfs s;
        uint64_t used;

        if (statfs("/", &s) < 0)
                return -1;
        used = ((uint64_t)s.f_blocks - (uint64_t)s.f_bfree) * (uint64_t)s.f_bsize;
        return write(pipe_fd, &used, sizeof(used)) == (ssize_t)sizeof(used) ? 0 : -1;
}

static int root_used(const struct rt_sandbox *sb, uint64_t *ret, struct al_error *err)
{
        int p[2], r;

        if (pipe2(p, O_CLOEXEC) < 0)
                return al_error_set(err, errno, "pipe");
        r = in_sandbox_mounts(sb, measure_cb, p[1], "measuring the root filesystem", err);
        close(p[1]);
        if (r >= 0 && read(p[0], ret, sizeof(*ret)) != (ssize_t)sizeof(*ret))
                r = al_error_setx(err, EIO, "measure the sandbox's root filesystem");
        close(p[0]);
        return r;
}

/* The mount point, without following anything (it is ours: see mounts.c). */
static int lend_dir(void)
{
        struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                                .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
        _cleanup_fd_ int dev = (int)syscall(SYS_openat2, AT_FDCWD, "/dev", &how, sizeof(how));

        if (dev < 0)
                return -errno;
        how.resolve |= RESOLVE_NO_XDEV; /* inside our /dev tmpfs from here */
        return (int)syscall(SYS_openat2, dev, RT_LEND_PATH + 5, &how, sizeof(how)); /* ".airlock" */
}

static int attach_cb(const struct rt_sandbox *sb, int mount_fd)
{
        _cleanup_fd_ int dir = lend_dir();

        if (dir < 0)
                return -1;
        return (int)syscall(SYS_move_mount, mount_fd, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int detach_cb(const struct rt_sandbox *sb, int unused)
{
        return umount2(RT_LEND_PATH, MNT_DETACH | UMOUNT_NOFOLLOW);
}

/* A detached ext4 mount of dev, idmapped to the sandbox's users, made in our
 * own namespace (the child only moves it). */
static int make_mount(const struct rt_sandbox *sb, const char *dev, struct al_error *err)
{
        char path[64];
        _cleanup_fd_ int userns = -1, fs = -1;
        int m;

        snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)sb->pid);
        userns = open(path, O_RDONLY | O_CLOEXEC);
        if (userns < 0)
                return al_error_set(err, errno, "open the sandbox's user namespace");
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                                   .userns_fd = (uint64_t)userns };
        fs = (int)syscall(SYS_fsopen, "ext4", FSOPEN_CLOEXEC);
        if (fs < 0 || syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", dev, 0) < 0 ||
            syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return al_error_set(err, errno, "mount the snapshot's image");
        m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
        if (m < 0)
                return al_error_set(err, errno, "make the snapshot's mount");
        if (syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0) {
                int e = errno;
                close(m);
                return al_error_set(err, e, "idmap the snapshot's mount");
        }
        return m;
}

static uint64_t tree_total;

static int tree_add(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        tree_total += (uint64_t)st->st_blocks * 512;
        return 0;
}

/* What the image's files take (a trusted tree on the host), once per image. */
static uint64_t image_bytes(const char *dir)
{
        static char seen[PATH_MAX];
        static uint64_t bytes;

        if (strcmp(seen, dir) != 0) {
                tree_total = 0;
                if (nftw(dir, tree_add, 32, FTW_PHYS | FTW_MOUNT) == 0) {
                        snprintf(seen, sizeof(seen), "%s", dir);
                        bytes = tree_total;
                } else {
                        bytes = 4ull << 30; /* unreadable: guess large (the image is sparse) */
                }
        }
        return bytes;
}

int rt_sandbox_lend(const struct rt_sandbox *sb, const char *image, const struct rt_lend_size *size,
                    struct rt_lend *ret, struct al_error *err)
{
        uint64_t bytes, upper = 0, lower = 0;
        char path[PATH_MAX + 64];
        struct stat st;
        char *const mkfs[] = {
                "mkfs.ext4",   "-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard",
                (char *)image, NULL
        };
        _cleanup_fd_ int fd = -1, m = -1;
        int r;

        *ret = (struct rt_lend){ .loop_fd = -1 };
        if (sb->mntns_fd < 0)
                return al_error_setx(err, ENOTCONN, "the sandbox has no mount namespace");
        r = root_used(sb, &upper, err);
        if (r < 0)
                return r;
        if (size->root_kind == RT_ROOT_IMAGE) {
                snprintf(path, sizeof(path), "%s/images/%s/rootfs", size->state_dir, size->image);
                lower = image_bytes(path);
        } else if (size->root_kind == RT_ROOT_SNAPSHOT) {
                snprintf(path, sizeof(path), "%s/snapshots/%s.img", size->state_dir, size->root_id);
                lower = stat(path, &st) == 0 ? (uint64_t)st.st_size : 4ull << 30;
        }
        /* Room for both, the filesystem's own metadata and a margin; the
         * image is sparse, and e2fsck sees only what was written. */
        bytes = (lower + upper) / 4 * 5 + (256ull << 20);
        ret->bytes = bytes;
        fd = open(image, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return al_error_set(err, errno, "create the snapshot's image");
        if (ftruncate(fd, (off_t)bytes) < 0)
                return al_error_set(err, errno, "size the snapshot's image");
        r = rt_run_tool(mkfs, "format the snapshot's image", err);
        if (r >= 0)
                r = rt_loop_attach(fd, false, ret->dev, &ret->loop_fd, err);
        if (r >= 0)
                r = m = make_mount(sb, ret->dev, err);
        if (r >= 0)
                r = in_sandbox_mounts(sb, attach_cb, m, "mounting the snapshot's image", err);
        if (r < 0) {
                if (ret->loop_fd >= 0)
                        close(ret->loop_fd);
                ret->loop_fd = -1;
                return r;
        }
        ret->lent = true;
        return 0;
}

/* Nothing holds the filesystem any more once its block device can be
 * opened exclusively (a mounted or lazily detached ext4 keeps it claimed). */
static bool released(const char *dev)
{
        int fd = open(dev, O_RDONLY | O_EXCL | O_CLOEXEC);

        if (fd < 0)
                return false;
        close(fd);
        return true;
}

/* The size of the filesystem in the image, from its superblock (the bytes
 * e2fsck and resize2fs just wrote). */
static int fs_bytes(const char *image, uint64_t *ret)
{
        uint8_t sb[1024];
        _cleanup_fd_ int fd = open(image, O_RDONLY | O_CLOEXEC);

        if (fd < 0 || pread(fd, sb, sizeof(sb), 1024) != (ssize_t)sizeof(sb))
                return -EIO;
        if (sb[56] != 0x53 || sb[57] != 0xef) /* s_magic */
                return -EIO;
        uint64_t blocks = (uint64_t)sb[4] | (uint64_t)sb[5] << 8 | (uint64_t)sb[6] << 16 | (uint64_t)sb[7] << 24;
        uint32_t log = (uint32_t)sb[24] | (uint32_t)sb[25] << 8 | (uint32_t)sb[26] << 16 | (uint32_t)sb[27] << 24;
        if (log > 6)
                return -EIO;
        *ret = blocks * (1024u << log);
        return 0;
}

int rt_sandbox_unlend(const struct rt_sandbox *sb, struct rt_lend *l, const char *image, struct al_error *err)
{
        char *const fsck[] = { "e2fsck", "-f", "-y", (char *)image, NULL };
        uint64_t bytes = 0;
        int r = 0;

        if (l->lent)
                r = in_sandbox_mounts(sb, detach_cb, -1, "unmounting the snapshot's image", err);
        l->lent = false;
        if (l->loop_fd >= 0) {
                bool free_now = false;
                for (int waited = 0; r >= 0 && waited < LEND_RELEASE_WAIT_MS && !(free_now = released(l->dev));
                     waited += 50)
                        nap_ms(50);
                close(l->loop_fd); /* auto-clear: the device goes with its last user */
                l->loop_fd = -1;
                if (r >= 0 && !free_now)
                        r = al_error_setx(err, EBUSY,
                                          "a process in the sandbox kept the snapshot's image open; "
                                          "nothing was recorded: try again");
        }
        if (r < 0)
                return r;
        /* The loop device lets go of the file once it is released. */
        for (int waited = 0; !released(l->dev) && waited < LEND_RELEASE_WAIT_MS; waited += 50)
                nap_ms(50);
        r = rt_run_tool(fsck, "check the snapshot's image", err);
        if (r >= 0 && fs_bytes(image, &bytes) < 0)
                r = al_error_setx(err, EIO, "read the size of the snapshot's filesystem");
        if (r >= 0 && truncate(image, (off_t)bytes) < 0)
                r = al_error_set(err, errno, "trim the snapshot's image");
        return r;
}
