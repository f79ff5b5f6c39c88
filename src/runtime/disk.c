/* SPDX-License-Identifier: Apache-2.0 */
/* Each sandbox writes to its own ext4 filesystem on a loop device, so its
 * disk is capped (a full disk is ENOSPC inside, never the host's problem) and
 * gone with the sandbox. A formatted template per size is made once with
 * mkfs.ext4 and copied sparsely per sandbox (a few MiB of metadata); the
 * copy is unlinked as soon as the loop device holds it, and the device
 * detaches itself (autoclear) when the sandbox's mount namespace goes. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/loop.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_internal.h"

extern char **environ;

static int run_mkfs(const char *path, struct al_error *err)
{
        char *const argv[] = { "mkfs.ext4",
                               "-q",
                               "-F",
                               "-m",
                               "0",
                               "-O",
                               "^has_journal,^resize_inode",
                               "-E",
                               "lazy_itable_init=1,nodiscard",
                               (char *)path,
                               NULL };
        posix_spawn_file_actions_t fa;
        pid_t pid;
        int status, r;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        r = posix_spawnp(&pid, "mkfs.ext4", &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                return al_error_set(err, r, "run mkfs.ext4 (install e2fsprogs)");
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return al_error_set(err, errno, "wait for mkfs.ext4");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return al_error_setx(err, EIO, "mkfs.ext4 %s failed (status %d)", path, status);
        return 0;
}

static int ensure_template(const char *dir, uint64_t bytes, char *ret_path, size_t len, struct al_error *err)
{
        char tmp[PATH_MAX + 64];
        _cleanup_fd_ int fd = -1;

        snprintf(ret_path, len, "%s/template-%" PRIu64 ".img", dir, bytes);
        if (access(ret_path, R_OK) == 0)
                return 0;
        snprintf(tmp, sizeof(tmp), "%s.%d.tmp", ret_path, (int)getpid());
        fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return al_error_set(err, errno, "create %s", tmp);
        if (ftruncate(fd, (off_t)bytes) < 0) {
                unlink(tmp);
                return al_error_set(err, errno, "size %s", tmp);
        }
        if (run_mkfs(tmp, err) < 0 || rename(tmp, ret_path) < 0) {
                unlink(tmp);
                return err->code ? -err->code : al_error_set(err, errno, "rename %s", tmp);
        }
        return 0;
}

/* Copy only the allocated extents of src into a new sparse file. */
static int copy_sparse(int src, int dst, struct al_error *err)
{
        struct stat st;
        off_t data = 0, hole;

        if (fstat(src, &st) < 0)
                return al_error_set(err, errno, "stat disk template");
        if (ftruncate(dst, st.st_size) < 0)
                return al_error_set(err, errno, "size disk");
        while ((data = lseek(src, data, SEEK_DATA)) >= 0) {
                hole = lseek(src, data, SEEK_HOLE);
                if (hole < 0)
                        return al_error_set(err, errno, "seek disk template");
                off_t in = data, out = data;
                while (in < hole) {
                        ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)(hole - in), 0);
                        if (n <= 0)
                                return al_error_set(err, n < 0 ? errno : EIO, "copy disk template");
                }
                data = hole;
        }
        if (errno != ENXIO)
                return al_error_set(err, errno, "seek disk template");
        return 0;
}

int rt_loop_attach(int backing, bool ro, char ret_dev[64], int *ret_fd, struct al_error *err)
{
        struct loop_config cfg = { .fd = (uint32_t)backing,
                                   .info = { .lo_flags = LO_FLAGS_AUTOCLEAR | (ro ? LO_FLAGS_READ_ONLY : 0) } };
        _cleanup_fd_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

        if (ctl < 0)
                return al_error_set(err, errno, "open /dev/loop-control");
        for (int tries = 0; tries < 64; tries++) {
                int n = ioctl(ctl, LOOP_CTL_GET_FREE);
                if (n < 0)
                        return al_error_set(err, errno, "find a free loop device");
                snprintf(ret_dev, 64, "/dev/loop%d", n);
                int fd = open(ret_dev, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
                if (fd < 0)
                        return al_error_set(err, errno, "open %s", ret_dev);
                if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0) {
                        *ret_fd = fd;
                        return 0;
                }
                int e = errno;
                close(fd);
                if (e != EBUSY) /* another sandbox took it first: try the next */
                        return al_error_set(err, e, "configure %s", ret_dev);
        }
        return al_error_setx(err, EBUSY, "no free loop device after 64 tries");
}

int rt_disk_attach_parent(const char *state_dir, const char *id, uint64_t bytes, char ret_dev[64], int *ret_loop_fd,
                          struct al_error *err)
{
        char dir[PATH_MAX], tpl[PATH_MAX + 64], path[PATH_MAX + 64];
        _cleanup_fd_ int src = -1, dst = -1;
        int r;

        snprintf(dir, sizeof(dir), "%s/disks", state_dir);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return al_error_set(err, errno, "create %s", dir);
        r = ensure_template(dir, bytes, tpl, sizeof(tpl), err);
        if (r < 0)
                return r;
        src = open(tpl, O_RDONLY | O_CLOEXEC);
        if (src < 0)
                return al_error_set(err, errno, "open %s", tpl);
        snprintf(path, sizeof(path), "%s/%s.img", dir, id);
        dst = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (dst < 0)
                return al_error_set(err, errno, "create %s", path);
        r = copy_sparse(src, dst, err);
        if (r >= 0)
                r = rt_loop_attach(dst, false, ret_dev, ret_loop_fd, err);
        unlink(path); /* the loop device keeps it alive; nothing is left behind */
        return r;
}
