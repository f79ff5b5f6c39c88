/* SPDX-License-Identifier: Apache-2.0 */
/* Volumes and snapshots: ext4 images in the state directory,
 *
 *   <state>/volumes/<id>.img     sparse, `capacity` bytes, read-write, one sandbox at a time
 *   <state>/snapshots/<id>.img   a frozen copy of a detached volume, read-only, shared
 *
 * Files in them are stored with the sandbox's own uids (0, 1000): every
 * mount is idmapped to the sandbox that uses it, as the image is, so a
 * volume moves between sandboxes whatever their host uid ranges. The parent
 * attaches one loop device per image (autoclear: it goes when the sandbox's
 * mount namespace does); the cloned child mounts them in that namespace.
 * Nothing is ever mounted on the host, so nothing leaks when airlockd dies. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_internal.h"

extern char **environ;

#define BUSY_WAIT_MS 3000 /* a sandbox that just ended may hold its volume this long */

/* --- mount paths ------------------------------------------------------- */

static bool path_char_ok(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._@+-", c) != NULL;
}

static bool under(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool rt_volume_path_valid(const char *path, const char **ret_why)
{
        static const char *const kernel_dirs[] = { "/proc", "/sys", "/dev" };
        const char *why = NULL;
        size_t len = path ? strnlen(path, AL_MAX_VOLUME_PATH) : 0;

        if (!path || path[0] != '/')
                why = "must be an absolute path";
        else if (len >= AL_MAX_VOLUME_PATH)
                why = "is too long";
        else if (strcmp(path, "/") == 0 || strcmp(path, "/etc") == 0)
                why = "would hide the sandbox's own system files";
        for (size_t i = 0; !why && i < ARRAY_SIZE(kernel_dirs); i++)
                if (under(path, kernel_dirs[i]))
                        why = "is under /proc, /sys or /dev, which come from the kernel";
        for (const char *p = path + 1; !why && p < path + len; p++) {
                if (*p == '/' && (p[-1] == '/' || p[1] == '\0'))
                        why = "must be normalised (no empty component, no trailing '/')";
                else if (*p != '/' && !path_char_ok(*p))
                        why = "may hold only letters, digits, '.', '_', '@', '+', '-' and '/'";
                else if (p[-1] == '/' && p[0] == '.' &&
                         (p[1] == '/' || p[1] == '\0' || (p[1] == '.' && (p[2] == '/' || p[2] == '\0'))))
                        why = "must not contain '.' or '..' components";
        }
        if (ret_why)
                *ret_why = why;
        return why == NULL;
}

/* --- files on the host --------------------------------------------------- */

static void obj_path(char *buf, size_t len, const char *state_dir, bool snapshot, const char *id)
{
        snprintf(buf, len, "%s/%s/%s.img", state_dir, snapshot ? "snapshots" : "volumes", id);
}

static bool id_ok(const char *id)
{
        size_t n = id ? strnlen(id, RT_OBJ_ID_MAX) : 0;

        if (n == 0 || n >= RT_OBJ_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '_'))
                        return false;
        return true;
}

/* Run a tool to completion; its first line on stderr goes into the error. */
int rt_run_tool(char *const argv[], const char *what, struct al_error *err)
{
        posix_spawn_file_actions_t fa;
        char out[512] = "";
        size_t used = 0;
        int pipefd[2], status, r;
        pid_t pid;

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return al_error_set(err, errno, "pipe for %s", argv[0]);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDERR_FILENO);
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(pipefd[1]);
        if (r != 0) {
                close(pipefd[0]);
                return al_error_set(err, r, "run %s (install e2fsprogs)", argv[0]);
        }
        for (;;) { /* drain it all, keep the start */
                char scratch[512];
                bool room = used < sizeof(out) - 1;
                ssize_t n = room ? read(pipefd[0], out + used, sizeof(out) - 1 - used)
                                 : read(pipefd[0], scratch, sizeof(scratch));
                if (n == 0 || (n < 0 && errno != EINTR))
                        break;
                if (n > 0 && room)
                        used += (size_t)n;
        }
        close(pipefd[0]);
        out[used] = '\0';
        out[strcspn(out, "\n")] = '\0';
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return al_error_set(err, errno, "wait for %s", argv[0]);
        /* e2fsck: 1 means "errors corrected", which is a success here. */
        if (WIFEXITED(status) &&
            (WEXITSTATUS(status) == 0 || (WEXITSTATUS(status) == 1 && strcmp(argv[0], "e2fsck") == 0)))
                return 0;
        return al_error_setx(err, EIO, "%s failed (%s exit status %d)%s%s", what, argv[0],
                             WIFEXITED(status) ? WEXITSTATUS(status) : -1, out[0] ? ": " : "", out);
}

static int make_dir_of(const char *state_dir, bool snapshot, struct al_error *err)
{
        char dir[PATH_MAX];

        snprintf(dir, sizeof(dir), "%s/%s", state_dir, snapshot ? "snapshots" : "volumes");
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return al_error_set(err, errno, "create the %s directory", snapshot ? "snapshots" : "volumes");
        return 0;
}

/* Copy only the allocated extents of src into dst (a reflink when the host's
 * filesystem can: then nothing is copied at all). */
static int copy_image(int src, int dst, const char *what, struct al_error *err)
{
        struct stat st;
        off_t data = 0, hole;

        if (ioctl(dst, FICLONE, src) == 0)
                return 0;
        if (fstat(src, &st) < 0 || ftruncate(dst, st.st_size) < 0)
                return al_error_set(err, errno, "size the copy of %s", what);
        while ((data = lseek(src, data, SEEK_DATA)) >= 0) {
                hole = lseek(src, data, SEEK_HOLE);
                if (hole < 0)
                        return al_error_set(err, errno, "read %s", what);
                off_t in = data, out = data;
                while (in < hole) {
                        ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)(hole - in), 0);
                        if (n <= 0)
                                return al_error_set(err, n < 0 ? errno : EIO, "copy %s", what);
                }
                data = hole;
        }
        if (errno != ENXIO)
                return al_error_set(err, errno, "read %s", what);
        return 0;
}

/* No reserved blocks (the sandbox's user gets it all); inode tables and the
 * journal are zeroed lazily, so a large volume is made in milliseconds. */
#define MKFS_EXTENDED "lazy_itable_init=1,lazy_journal_init=1,nodiscard"

static int volume_fill(const char *tmp, const char *state_dir, uint64_t bytes, enum rt_volume_from from,
                       const char *from_name, struct al_error *err)
{
        char size[32], src[PATH_MAX + 64];
        char *img = (char *)tmp;

        /* clang-format off */
        if (from == RT_FROM_SNAPSHOT) {
                snprintf(size, sizeof(size), "%" PRIu64 "K", bytes >> 10);
                char *const fsck[] = { "e2fsck", "-f", "-y", img, NULL };
                char *const grow[] = { "resize2fs", img, size, NULL };
                int r = rt_run_tool(fsck, "check the snapshot's copy", err);
                return r < 0 ? r : rt_run_tool(grow, "grow the snapshot's copy to the capacity", err);
        }
        if (from == RT_FROM_IMAGE) {
                snprintf(src, sizeof(src), "%s/images/%s/rootfs", state_dir, from_name);
                char *const mkfs[] = { "mkfs.ext4", "-q", "-F", "-m", "0", "-E", MKFS_EXTENDED,
                                       "-d", src, img, NULL };
                return rt_run_tool(mkfs, "copy the image into the volume (is the capacity large enough?)",
                                err);
        }
        char *const mkfs[] = { "mkfs.ext4", "-q", "-F", "-m", "0", "-E",
                               MKFS_EXTENDED ",root_owner=" RT_STR(RT_APP_UID) ":" RT_STR(RT_APP_UID),
                               img, NULL };
        /* clang-format on */
        return rt_run_tool(mkfs, "format the volume", err);
}

/* Images are sparse, so the host's space is not reserved for them; a volume
 * that could not fit even on an empty host is refused at once. */
static int host_room(const char *state_dir, uint64_t bytes, struct al_error *err)
{
        char dir[PATH_MAX];
        struct statvfs vfs;

        snprintf(dir, sizeof(dir), "%s/volumes", state_dir);
        if (statvfs(dir, &vfs) < 0)
                return al_error_set(err, errno, "measure the host's free space");
        uint64_t avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
        if (avail < bytes)
                return al_error_setx(err, ENOSPC,
                                     "the host has %" PRIu64 " MiB free, less than the capacity asked for (%" PRIu64
                                     " MiB)",
                                     avail >> 20, bytes >> 20);
        return 0;
}

int rt_snapshot_size(const char *state_dir, const char *snapshot_id, uint64_t *ret, struct al_error *err)
{
        char path[PATH_MAX + 64];
        struct stat st;

        if (!id_ok(snapshot_id))
                return al_error_setx(err, EINVAL, "invalid snapshot id");
        obj_path(path, sizeof(path), state_dir, true, snapshot_id);
        if (stat(path, &st) < 0)
                return al_error_set(err, errno, "the image of snapshot %s", snapshot_id);
        *ret = (uint64_t)st.st_size;
        return 0;
}

int rt_volume_make(const char *state_dir, const char *id, uint64_t bytes, enum rt_volume_from from,
                   const char *from_name, struct al_error *err)
{
        char path[PATH_MAX + 64], tmp[PATH_MAX + 80], src[PATH_MAX + 64];
        _cleanup_fd_ int fd = -1, sfd = -1;
        int r;

        if (!id_ok(id) || (from == RT_FROM_SNAPSHOT && !id_ok(from_name)) ||
            (from == RT_FROM_IMAGE && (!from_name || !*from_name || strchr(from_name, '/'))))
                return al_error_setx(err, EINVAL, "invalid volume id or source");
        r = make_dir_of(state_dir, false, err);
        if (r < 0)
                return r;
        r = host_room(state_dir, bytes, err);
        if (r < 0)
                return r;
        obj_path(path, sizeof(path), state_dir, false, id);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return al_error_set(err, errno, "create the image of volume %s", id);
        if (from == RT_FROM_SNAPSHOT) {
                struct stat st;
                obj_path(src, sizeof(src), state_dir, true, from_name);
                sfd = open(src, O_RDONLY | O_CLOEXEC);
                if (sfd < 0 || fstat(sfd, &st) < 0)
                        r = al_error_set(err, errno, "open snapshot %s", from_name);
                else if ((uint64_t)st.st_size > bytes)
                        r = al_error_setx(err, EINVAL,
                                          "capacity %" PRIu64 " is smaller than snapshot %s (%" PRIu64 " bytes)", bytes,
                                          from_name, (uint64_t)st.st_size);
                else
                        r = copy_image(sfd, fd, "the snapshot", err);
        }
        if (r >= 0 && ftruncate(fd, (off_t)bytes) < 0)
                r = al_error_set(err, errno, "size volume %s", id);
        if (r >= 0)
                r = volume_fill(tmp, state_dir, bytes, from, from_name, err);
        if (r >= 0 && fsync(fd) < 0)
                r = al_error_set(err, errno, "flush volume %s", id);
        if (r >= 0 && rename(tmp, path) < 0)
                r = al_error_set(err, errno, "name volume %s", id);
        if (r < 0)
                unlink(tmp);
        return r;
}

static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* Does a loop device hold the file (the sandbox that used it is still going)? */
static bool loop_holds(const struct stat *want)
{
        _cleanup_(closedirp) DIR *d = opendir("/sys/block");
        struct dirent *e;

        while (d && (e = readdir(d))) {
                char p[300], backing[PATH_MAX];
                struct stat st;
                if (strncmp(e->d_name, "loop", 4) != 0)
                        continue;
                snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", e->d_name);
                _cleanup_fd_ int fd = open(p, O_RDONLY | O_CLOEXEC);
                ssize_t n = fd < 0 ? -1 : read(fd, backing, sizeof(backing) - 1);
                if (n <= 0)
                        continue;
                backing[n] = '\0';
                backing[strcspn(backing, "\n")] = '\0';
                if (stat(backing, &st) == 0 && st.st_dev == want->st_dev && st.st_ino == want->st_ino)
                        return true;
        }
        return false;
}

/* Wait (a little) for a volume's last sandbox to let go of it: two mounts of
 * one ext4 filesystem would corrupt it. */
static int wait_unheld(const char *id, int fd, struct al_error *err)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return al_error_set(err, errno, "stat volume %s", id);
        for (int ms = 0; loop_holds(&st); ms += 20) {
                if (ms >= BUSY_WAIT_MS)
                        return al_error_setx(err, EBUSY,
                                             "volume %s is still held by a sandbox that is shutting "
                                             "down: try again in a few seconds",
                                             id);
                nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
        }
        return 0;
}

int rt_volume_snapshot(const char *state_dir, const char *volume_id, const char *snapshot_id, uint64_t *ret_allocated,
                       struct al_error *err)
{
        char src[PATH_MAX + 64], path[PATH_MAX + 64], tmp[PATH_MAX + 80];
        _cleanup_fd_ int sfd = -1, fd = -1;
        struct stat st = { 0 };
        int r;

        if (!id_ok(volume_id) || !id_ok(snapshot_id))
                return al_error_setx(err, EINVAL, "invalid volume or snapshot id");
        r = make_dir_of(state_dir, true, err);
        if (r < 0)
                return r;
        obj_path(src, sizeof(src), state_dir, false, volume_id);
        sfd = open(src, O_RDONLY | O_CLOEXEC);
        if (sfd < 0)
                return al_error_set(err, errno, "open volume %s", volume_id);
        r = wait_unheld(volume_id, sfd, err);
        if (r < 0)
                return r;
        obj_path(path, sizeof(path), state_dir, true, snapshot_id);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0400);
        if (fd < 0)
                return al_error_set(err, errno, "create the image of snapshot %s", snapshot_id);
        r = copy_image(sfd, fd, "the volume", err);
        /* A volume of a host that crashed may still need its journal
         * replayed; a snapshot is mounted without replay, so do it now
         * (-p: nothing to do on a clean filesystem, which is the usual case). */
        char *const fsck[] = { "e2fsck", "-p", tmp, NULL };
        if (r >= 0)
                r = rt_run_tool(fsck, "check the snapshot", err);
        if (r >= 0 && (fsync(fd) < 0 || fstat(fd, &st) < 0))
                r = al_error_set(err, errno, "flush snapshot %s", snapshot_id);
        if (r >= 0 && rename(tmp, path) < 0)
                r = al_error_set(err, errno, "name snapshot %s", snapshot_id);
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        *ret_allocated = (uint64_t)st.st_blocks * 512;
        return 0;
}

void rt_volume_remove(const char *state_dir, bool snapshot, const char *id)
{
        char path[PATH_MAX + 64];

        if (!id_ok(id))
                return;
        obj_path(path, sizeof(path), state_dir, snapshot, id);
        (void)unlink(path);
}

/* --- parent: loop devices ----------------------------------------------- */

static int attach_one(const char *state_dir, bool snapshot, const char *id, struct rt_vol_devs *d, char dev[64],
                      struct al_error *err)
{
        char path[PATH_MAX + 64];
        _cleanup_fd_ int fd = -1;
        int r;

        if (!id_ok(id))
                return al_error_setx(err, EINVAL, "invalid %s id", snapshot ? "snapshot" : "volume");
        obj_path(path, sizeof(path), state_dir, snapshot, id);
        fd = open(path, (snapshot ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return al_error_set(err, errno, "open the image of %s %s", snapshot ? "snapshot" : "volume", id);
        r = snapshot ? 0 : wait_unheld(id, fd, err);
        if (r >= 0)
                r = rt_loop_attach(fd, snapshot, dev, &d->fds[d->n_fds], err);
        if (r >= 0)
                d->n_fds++;
        return r;
}

int rt_volumes_attach_parent(const struct rt_config *cfg, struct rt_vol_devs *d, struct al_error *err)
{
        int r = 0;

        if (cfg->n_volumes > AL_MAX_SANDBOX_VOLUMES)
                return al_error_setx(err, EINVAL, "at most %d volumes per sandbox", AL_MAX_SANDBOX_VOLUMES);
        if (cfg->root_kind != RT_ROOT_IMAGE)
                r = attach_one(cfg->state_dir, cfg->root_kind == RT_ROOT_SNAPSHOT, cfg->root_id, d, d->root_dev, err);
        for (unsigned i = 0; r >= 0 && i < cfg->n_volumes; i++) {
                const char *why;
                if (!rt_volume_path_valid(cfg->volumes[i].path, &why))
                        return al_error_setx(err, EINVAL, "volume path %s", why);
                r = attach_one(cfg->state_dir, false, cfg->volumes[i].id, d, d->dev[i], err);
        }
        return r;
}

void rt_volumes_close_parent(struct rt_vol_devs *d)
{
        for (unsigned i = 0; i < d->n_fds; i++)
                close(d->fds[i]);
        d->n_fds = 0;
}

/* --- child: mounts --------------------------------------------------------- */

/* A detached ext4 mount of dev, idmapped to the sandbox's user namespace. */
static int ext4_mount_child(const char *dev, bool ro, unsigned attrs, int userns_fd, struct al_error *err)
{
        struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
        _cleanup_fd_ int fs = (int)syscall(SYS_fsopen, "ext4", FSOPEN_CLOEXEC);
        _cleanup_fd_ int m = -1;

        if (fs < 0)
                return al_error_set(err, errno, "open an ext4 filesystem context");
        if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", dev, 0) < 0 ||
            (ro && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0) ||
            (ro && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "noload", NULL, 0) < 0) ||
            syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return al_error_set(err, errno, "mount the volume's filesystem (is it ext4?)");
        m = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs | (ro ? MOUNT_ATTR_RDONLY : 0));
        if (m < 0)
                return al_error_set(err, errno, "make the volume's mount");
        if (syscall(SYS_mount_setattr, m, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return al_error_set(err, errno, "idmap the volume's mount");
        return TAKE_FD(m);
}

static int move_to_child(int m, int dirfd, const char *what, struct al_error *err)
{
        if (syscall(SYS_move_mount, m, "", dirfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return al_error_set(err, errno, "mount %s", what);
        return 0;
}

/* Create an empty file as the owner of dir (see below), if it is missing. */
static int touch_as_parent_child(int dir, const char *name, struct al_error *err)
{
        struct stat st;
        int fd, e;

        if (fstat(dir, &st) < 0)
                return al_error_set(err, errno, "stat /etc");
        setfsgid(st.st_gid);
        setfsuid(st.st_uid);
        fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        e = errno;
        setfsuid(0);
        setfsgid(0);
        if (fd < 0 && e != EEXIST)
                return al_error_set(err, e, "create /etc/%s in the root volume", name);
        if (fd >= 0)
                close(fd);
        return 0;
}

/* mkdirat as the owner of the parent directory: the new directory belongs
 * to whoever owns its parent in the sandbox, and this works on idmapped
 * mounts, where host root (unmapped there) could not create anything. */
static int mkdir_as_parent_child(int parent, const char *name, struct al_error *err)
{
        struct stat st;
        int r, e;

        if (fstat(parent, &st) < 0)
                return al_error_set(err, errno, "stat a mount point's parent");
        setfsgid(st.st_gid);
        setfsuid(st.st_uid);
        r = mkdirat(parent, name, 0755);
        e = errno;
        setfsuid(0);
        setfsgid(0);
        if (r < 0 && e != EEXIST)
                return al_error_set(err, e, "create the mount point's directory '%s'", name);
        return 0;
}

/* Open (making what is missing) path below root one component at a time,
 * never following a symlink: a volume or snapshot root is the sandbox's own
 * work, and before pivot_root a symlink in it would point into the host
 * (SEC-14). Nothing in the sandbox runs yet, so the walk cannot race. */
static int open_mount_point_child(const char *root, const char *path, struct al_error *err)
{
        char comp[AL_MAX_VOLUME_PATH];
        _cleanup_fd_ int dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (dir < 0)
                return al_error_set(err, errno, "open the sandbox's root");
        for (const char *p = path; *p;) {
                p += strspn(p, "/");
                size_t n = strcspn(p, "/");
                if (n == 0)
                        break;
                if (n >= sizeof(comp))
                        return al_error_setx(err, ENAMETOOLONG, "volume path too long");
                memcpy(comp, p, n);
                comp[n] = '\0';
                p += n;
                int next = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0 && errno == ENOENT) {
                        if (mkdir_as_parent_child(dir, comp, err) < 0)
                                return -err->code;
                        next = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                }
                if (next < 0)
                        return al_error_set(err, errno == ELOOP ? ENOTDIR : errno,
                                            "volume path %s: '%s' is not a directory", path, comp);
                close(dir);
                dir = next;
        }
        return TAKE_FD(dir);
}

int rt_root_snapshot_child(const struct rt_child_args *a, const char *lower, struct al_error *err)
{
        _cleanup_fd_ int m = ext4_mount_child(a->vols.root_dev, true, MOUNT_ATTR_NODEV, a->userns_fd, err);
        _cleanup_fd_ int dir = -1;

        if (m < 0)
                return m;
        dir = open(lower, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return al_error_set(err, errno, "open %s", lower);
        return move_to_child(m, dir, "the snapshot below the root", err);
}

int rt_root_volume_child(const struct rt_child_args *a, const char *root, struct al_error *err)
{
        unsigned attrs = MOUNT_ATTR_NODEV | (a->cfg->profile == RT_PROFILE_STRICT ? MOUNT_ATTR_NOSUID : 0);
        _cleanup_fd_ int m = ext4_mount_child(a->vols.root_dev, false, attrs, a->userns_fd, err);
        _cleanup_fd_ int dir = -1;

        if (m < 0)
                return m;
        dir = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return al_error_set(err, errno, "open %s", root);
        if (move_to_child(m, dir, "the volume as the root", err) < 0)
                return -err->code;
        /* child.c writes these as host root, which cannot create a file on
         * an idmapped mount (its uid has no mapping there): make them first. */
        char etc[PATH_MAX + 8];
        snprintf(etc, sizeof(etc), "%s/etc", root);
        _cleanup_fd_ int etc_fd = open(etc, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (etc_fd < 0)
                return al_error_setx(err, ENOTDIR, "the root volume has no /etc directory");
        if (touch_as_parent_child(etc_fd, "hosts", err) < 0 || touch_as_parent_child(etc_fd, "resolv.conf", err) < 0)
                return -err->code;
        return 0;
}

int rt_volumes_mount_child(const struct rt_child_args *a, const char *root, struct al_error *err)
{
        for (unsigned i = 0; i < a->cfg->n_volumes; i++) {
                const struct rt_volume_mount *v = &a->cfg->volumes[i];
                _cleanup_fd_ int m = ext4_mount_child(a->vols.dev[i], false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                                                      a->userns_fd, err);
                _cleanup_fd_ int dir = m < 0 ? -1 : open_mount_point_child(root, v->path, err);
                if (m < 0 || dir < 0 || move_to_child(m, dir, v->path, err) < 0) {
                        al_error_wrap(err, "volume %s", v->id);
                        return -err->code;
                }
        }
        return 0;
}
