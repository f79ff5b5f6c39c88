/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox's filesystem, built by the cloned child in its own mount
 * namespace (owned by the host's user namespace, so nothing mounted here can
 * be undone from inside):
 *
 *   <state>/mnt            tmpfs, private to this mount namespace
 *     disk/                the sandbox's ext4 disk (loop device, size-capped)
 *       upper/ work/       overlay's writable layer
 *     lower/               the image, read-only, idmapped to the sandbox's uids
 *     root/                overlay: lower + upper; becomes / by pivot_root
 *
 * then /proc (masked), /dev (minimal, built fresh), /sys (read-only, masked),
 * /sys/fs/cgroup (the sandbox's own cgroups, read-only). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_internal.h"

#define NOSUID_NODEV_NOEXEC (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* Docker's masked and read-only lists, plus kallsyms and interrupts. */
static const char *const masked_files[] = {
        "proc/kcore",         "proc/keys",        "proc/latency_stats", "proc/timer_list",
        "proc/timer_stats",   "proc/sched_debug", "proc/kallsyms",      "proc/interrupts",
        "proc/sysrq-trigger", "proc/kmsg",        "proc/config.gz",
};
static const char *const masked_dirs[] = {
        "proc/acpi",           "proc/asound",        "proc/scsi",
        "proc/driver",         "sys/firmware",       "sys/kernel/debug",
        "sys/kernel/security", "sys/kernel/tracing", "sys/devices/virtual/powercap",
        "sys/fs/bpf",          "sys/fs/fuse",        "sys/fs/pstore",
};
static const char *const readonly_dirs[] = {
        "proc/bus",
        "proc/fs",
        "proc/irq",
        "proc/sys",
};
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };

static int mnt(const char *src, const char *dst, const char *type, unsigned long flags, const char *data,
               struct al_error *err)
{
        if (mount(src, dst, type, flags, data) < 0)
                return al_error_set(err, errno, "mount %s on %s", type ? type : (src ? src : "(remount)"), dst);
        return 0;
}

static int bind_ro(const char *src, const char *dst, unsigned long extra, struct al_error *err)
{
        int r = mnt(src, dst, NULL, MS_BIND | MS_REC, NULL, err);
        if (r >= 0)
                r = mnt(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | extra, NULL, err);
        return r;
}

/* A mount point must be a real directory: an image (or, later, a snapshot)
 * whose /dev or /proc is a symlink would otherwise redirect our mounts
 * (SEC-14). Nothing in the sandbox runs yet, so the check cannot race. */
static int make_dir(const char *path, mode_t mode, struct al_error *err)
{
        struct stat st;

        if (mkdir(path, mode) == 0)
                return 0;
        if (errno != EEXIST)
                return al_error_set(err, errno, "mkdir %s", path);
        if (lstat(path, &st) < 0)
                return al_error_set(err, errno, "stat %s", path);
        if (!S_ISDIR(st.st_mode))
                return al_error_setx(err, ENOTDIR, "image has %s as a %s, not a directory: refusing it", path,
                                     S_ISLNK(st.st_mode) ? "symlink" : "file");
        return 0;
}

/* Mask each path that exists: files with /dev/null, directories with an empty
 * read-only tmpfs. Absent paths are fine: there is nothing to hide. */
static int mask_paths(const char *root, struct al_error *err)
{
        char path[PATH_MAX];
        struct stat st;

        for (size_t i = 0; i < ARRAY_SIZE(masked_files); i++) {
                snprintf(path, sizeof(path), "%s/%s", root, masked_files[i]);
                if (lstat(path, &st) < 0 || S_ISDIR(st.st_mode))
                        continue;
                if (mnt("/dev/null", path, NULL, MS_BIND, NULL, err) < 0)
                        return -err->code;
        }
        for (size_t i = 0; i < ARRAY_SIZE(masked_dirs); i++) {
                snprintf(path, sizeof(path), "%s/%s", root, masked_dirs[i]);
                if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
                        continue;
                if (mnt("tmpfs", path, "tmpfs", MS_RDONLY | NOSUID_NODEV_NOEXEC, "size=0,mode=0555", err) < 0)
                        return -err->code;
        }
        for (size_t i = 0; i < ARRAY_SIZE(readonly_dirs); i++) {
                snprintf(path, sizeof(path), "%s/%s", root, readonly_dirs[i]);
                if (lstat(path, &st) < 0)
                        continue;
                if (bind_ro(path, path, NOSUID_NODEV_NOEXEC, err) < 0)
                        return -err->code;
        }
        return 0;
}

static int setup_disk(const struct rt_child_args *a, struct al_error *err)
{
        char disk[PATH_MAX + 16], path[PATH_MAX + 32];
        int r;

        if (a->cfg->root_kind == RT_ROOT_VOLUME) /* writes go to the volume itself */
                return 0;
        snprintf(disk, sizeof(disk), "%s/disk", a->staging);
        r = make_dir(disk, 0700, err);
        if (r >= 0)
                r = mnt(a->loop_dev, disk, "ext4", MS_NOSUID | MS_NODEV | MS_NOATIME, "noinit_itable", err);
        if (r < 0)
                return r;
        const char *subdirs[] = { "upper", "work" };
        for (size_t i = 0; i < 2; i++) {
                snprintf(path, sizeof(path), "%s/%s", disk, subdirs[i]);
                r = make_dir(path, 0755, err);
                if (r < 0)
                        return r;
                if (chown(path, a->uid_base, a->uid_base) < 0)
                        return al_error_set(err, errno, "chown %s", path);
        }
        return 0;
}

/* The image is owned by host uid 0; an idmapped mount shows it as owned by the
 * sandbox's root instead, without touching a file of it. */
static int setup_lower(const struct rt_child_args *a, struct al_error *err)
{
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV,
                .userns_fd = (uint64_t)a->userns_fd,
        };
        char lower[PATH_MAX + 16];
        _cleanup_fd_ int tree = -1;

        if (a->cfg->root_kind == RT_ROOT_VOLUME)
                return 0;
        snprintf(lower, sizeof(lower), "%s/lower", a->staging);
        if (make_dir(lower, 0755, err) < 0)
                return -err->code;
        if (a->cfg->root_kind == RT_ROOT_SNAPSHOT) /* volume.c: a snapshot in place of the image */
                return rt_root_snapshot_child(a, lower, err);
        tree = (int)syscall(SYS_open_tree, AT_FDCWD, a->image_root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (tree < 0)
                return al_error_set(err, errno, "open image %s", a->image_root);
        if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return al_error_set(err, errno, "idmap image %s", a->image_root);
        if (syscall(SYS_move_mount, tree, "", AT_FDCWD, lower, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return al_error_set(err, errno, "attach image at %s", lower);
        return 0;
}

static int setup_overlay(const struct rt_child_args *a, const char *root, struct al_error *err)
{
        char opts[128];
        unsigned long flags = MS_NODEV;

        if (a->cfg->profile == RT_PROFILE_STRICT)
                flags |= MS_NOSUID;
        /* Relative to the staging directory: overlayfs shows the layers in
         * mountinfo as given, and the sandbox must not learn host paths
         * (SEC-22). do_pivot() changes directory again. */
        snprintf(opts, sizeof(opts), "lowerdir=lower,upperdir=disk/upper,workdir=disk/work");
        if (make_dir(root, 0755, err) < 0)
                return -err->code;
        if (a->cfg->root_kind == RT_ROOT_VOLUME) /* volume.c: a bootable volume is the root */
                return rt_root_volume_child(a, root, err);
        if (chdir(a->staging) < 0)
                return al_error_set(err, errno, "chdir %s", a->staging);
        return mnt("overlay", root, "overlay", flags, opts, err);
}

static int setup_dev(const char *root, uid_t base, struct al_error *err)
{
        char dev[PATH_MAX], path[PATH_MAX + 32], opts[128];
        int r;

        snprintf(dev, sizeof(dev), "%s/dev", root);
        if (make_dir(dev, 0755, err) < 0)
                return -err->code;
        r = mnt("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755", err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ARRAY_SIZE(dev_nodes); i++) {
                char host[64];
                snprintf(path, sizeof(path), "%s/%s", dev, dev_nodes[i]);
                snprintf(host, sizeof(host), "/dev/%s", dev_nodes[i]);
                int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
                if (fd < 0)
                        return al_error_set(err, errno, "create %s", path);
                close(fd);
                r = mnt(host, path, NULL, MS_BIND, NULL, err);
                if (r < 0)
                        return r;
        }
        snprintf(path, sizeof(path), "%s/pts", dev);
        snprintf(opts, sizeof(opts), "newinstance,ptmxmode=0666,mode=0620,gid=%u", base + RT_SANDBOX_GID_TTY);
        if (make_dir(path, 0755, err) < 0 || mnt("devpts", path, "devpts", MS_NOSUID | MS_NOEXEC, opts, err) < 0)
                return -err->code;
        snprintf(path, sizeof(path), "%s/shm", dev);
        snprintf(opts, sizeof(opts), "size=%llu,mode=1777", (unsigned long long)AL_SHM_SIZE);
        if (make_dir(path, 01777, err) < 0 || mnt("tmpfs", path, "tmpfs", NOSUID_NODEV_NOEXEC, opts, err) < 0)
                return -err->code;
        const char *links[][2] = {
                { "pts/ptmx", "ptmx" },          { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
                { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
                snprintf(path, sizeof(path), "%s/%s", dev, links[i][1]);
                if (symlink(links[i][0], path) < 0)
                        return al_error_set(err, errno, "symlink %s", path);
        }
        /* Where airlockd mounts what it lends the sandbox for a moment (the
         * target of `airlock snapshot`): host root's, so nothing inside can
         * replace it. */
        snprintf(path, sizeof(path), "%s/%s", root, RT_LEND_DIR);
        if (make_dir(path, 0711, err) < 0)
                return -err->code;
        /* Nothing may be added to /dev from inside. */
        return mnt(NULL, dev, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL, err);
}

static int setup_cgroupfs(const char *root, const struct rt_cgroup_roots *cg, struct al_error *err)
{
        char dir[PATH_MAX], path[PATH_MAX + 16];
        const char *v1[] = { "memory", "cpu", "pids" };
        unsigned long ro = MS_RDONLY | NOSUID_NODEV_NOEXEC;

        snprintf(dir, sizeof(dir), "%s/sys/fs/cgroup", root);
        if (cg->version == RT_CG_V2)
                return mnt("cgroup2", dir, "cgroup2", ro, NULL, err);
        if (mnt("tmpfs", dir, "tmpfs", NOSUID_NODEV_NOEXEC, "size=16k,mode=0755", err) < 0)
                return -err->code;
        for (size_t i = 0; i < ARRAY_SIZE(v1); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, v1[i]);
                if (make_dir(path, 0755, err) < 0 || mnt("cgroup", path, "cgroup", ro, v1[i], err) < 0)
                        return -err->code;
        }
        return mnt(NULL, dir, NULL, MS_REMOUNT | MS_BIND | ro, NULL, err);
}

static int setup_proc_sys(const char *root, const struct rt_cgroup_roots *cg, struct al_error *err)
{
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/proc", root);
        if (make_dir(path, 0555, err) < 0 || mnt("proc", path, "proc", NOSUID_NODEV_NOEXEC, NULL, err) < 0)
                return -err->code;
        snprintf(path, sizeof(path), "%s/sys", root);
        if (make_dir(path, 0555, err) < 0 ||
            mnt("sysfs", path, "sysfs", MS_RDONLY | NOSUID_NODEV_NOEXEC, NULL, err) < 0)
                return -err->code;
        if (cg->version != RT_CG_NONE && setup_cgroupfs(root, cg, err) < 0)
                return -err->code;
        return mask_paths(root, err);
}

/* The sandbox trusts the egress proxy's CA: the image's bundle plus our CA
 * replaces the system bundle, and our CA alone appears where Node and Deno
 * are pointed at it (NODE_EXTRA_CA_CERTS, DENO_CERT). Read-only binds of
 * files airlockd keeps under <state>/trust/<image>/. */
static int setup_trust(const char *root, const char *trust_dir, struct al_error *err)
{
        static const char *const binds[][2] = {
                { "ca-certificates.crt", "etc/ssl/certs/ca-certificates.crt" },
                { "extra", "usr/local/share/ca-certificates" },
        };
        char src[PATH_MAX], dst[PATH_MAX + 64];
        struct stat st;

        if (!trust_dir)
                return 0;
        for (size_t i = 0; i < ARRAY_SIZE(binds); i++) {
                snprintf(src, sizeof(src), "%s/%s", trust_dir, binds[i][0]);
                snprintf(dst, sizeof(dst), "%s/%s", root, binds[i][1]);
                /* A symlink here would point our bind elsewhere (SEC-14). */
                if (lstat(dst, &st) < 0 || S_ISLNK(st.st_mode))
                        return al_error_setx(err, EINVAL, "the image has no plain /%s", binds[i][1]);
                int r = bind_ro(src, dst, NOSUID_NODEV_NOEXEC, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int do_pivot(const char *root, struct al_error *err)
{
        if (chdir(root) < 0)
                return al_error_set(err, errno, "chdir %s", root);
        /* pivot_root(".", ".") stacks the old root under the new one; detaching
         * it leaves no path back to the host. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return al_error_set(err, errno, "pivot_root to %s", root);
        if (umount2(".", MNT_DETACH) < 0)
                return al_error_set(err, errno, "detach the host's root");
        if (chdir("/") < 0)
                return al_error_set(err, errno, "chdir /");
        return 0;
}

int rt_rootfs_setup_child(const struct rt_child_args *a, struct al_error *err)
{
        char root[PATH_MAX + 16];
        int r;

        /* Nothing we mount may propagate back to the host, or the other way. */
        r = mnt(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL, err);
        if (r >= 0)
                r = mnt("tmpfs", a->staging, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0700", err);
        if (r >= 0)
                r = setup_disk(a, err);
        if (r >= 0)
                r = setup_lower(a, err);
        snprintf(root, sizeof(root), "%s/root", a->staging);
        if (r >= 0)
                r = setup_overlay(a, root, err);
        if (r >= 0)
                r = setup_dev(root, a->uid_base, err);
        if (r >= 0)
                r = setup_proc_sys(root, rt_cgroup_roots_get(), err);
        if (r >= 0)
                r = setup_trust(root, a->cfg->trust_dir, err);
        if (r >= 0) /* volume.c */
                r = rt_volumes_mount_child(a, root, err);
        if (r >= 0)
                r = do_pivot(root, err);
        return r;
}
