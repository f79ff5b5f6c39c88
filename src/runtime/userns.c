/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox's user namespace is made by a short-lived helper: it is cloned
 * into a new user namespace, airlockd writes its id maps, the helper sets
 * user.max_user_namespaces to 0 there (so the sandbox cannot nest one), and
 * airlockd keeps a handle to the namespace. The sandbox's first process later
 * joins it with setns() after every mount is made, so that all other
 * namespaces stay owned by the host's user namespace and sandbox root holds no
 * power over them. The same handle idmaps the read-only image. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_internal.h"

static int write_file(const char *path, const char *data, struct al_error *err)
{
        _cleanup_fd_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t len = strlen(data);

        if (fd < 0)
                return al_error_set(err, errno, "open %s", path);
        if (write(fd, data, len) != (ssize_t)len)
                return al_error_set(err, errno, "write %s", path);
        return 0;
}

/* Helper body: wait for the maps, shut the door on nested namespaces, report. */
static void helper_child(int fd)
{
        char c;
        int code = 0;

        if (read(fd, &c, 1) != 1)
                _exit(1);
        int sfd = open("/proc/sys/user/max_user_namespaces", O_WRONLY | O_CLOEXEC);
        if (sfd < 0 || write(sfd, "0", 1) != 1)
                code = errno ? errno : EIO;
        if (write(fd, &code, sizeof(code)) != sizeof(code))
                _exit(1);
        if (read(fd, &c, 1) < 0) /* parent closes when it holds the namespace */
                _exit(1);
        _exit(0);
}

uid_t rt_slot_uid_base(unsigned slot)
{
        if (slot >= AL_MAX_SLOTS)
                return (uid_t)-1;
        return AL_UID_BASE + slot * AL_UID_RANGE;
}

int rt_idmap_format(uid_t base, char *buf, size_t len)
{
        /* Never host root, never past the top of the uid space. */
        if (base == 0 || base < AL_UID_BASE || (uint64_t)base + AL_UID_RANGE > 0xfffffffeull)
                return -ERANGE;
        int n = snprintf(buf, len, "0 %u %u\n", base, AL_UID_RANGE);
        return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}

static int write_maps(pid_t pid, uid_t base, enum rt_profile profile, struct al_error *err)
{
        char path[64], map[64];
        int r;

        if (rt_idmap_format(base, map, sizeof(map)) < 0)
                return al_error_setx(err, ERANGE, "uid range at %u is out of bounds", base);
        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
        r = write_file(path, map, err);
        if (r < 0)
                return r;
        /* The default profile keeps setgroups for sudo; strict denies it. */
        snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
        r = write_file(path, profile == RT_PROFILE_STRICT ? "deny" : "allow", err);
        if (r < 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
        return write_file(path, map, err);
}

int rt_userns_open_parent(uid_t base, enum rt_profile profile, int *ret_fd, struct al_error *err)
{
        struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
        int sp[2], code = 0, r = 0, status;
        char path[64];
        pid_t pid;

        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return al_error_set(err, errno, "socketpair");
        pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
        if (pid < 0) {
                r = al_error_set(err, errno, "clone a user namespace");
                close(sp[0]);
                close(sp[1]);
                return r;
        }
        if (pid == 0) {
                close(sp[0]);
                helper_child(sp[1]);
        }
        close(sp[1]);
        r = write_maps(pid, base, profile, err);
        if (r >= 0 && write(sp[0], "g", 1) != 1)
                r = al_error_set(err, errno, "signal user namespace helper");
        if (r >= 0 && read(sp[0], &code, sizeof(code)) != sizeof(code))
                r = al_error_setx(err, EIO, "user namespace helper died");
        if (r >= 0 && code != 0)
                r = al_error_set(err, code, "set user.max_user_namespaces=0 in the sandbox");
        if (r >= 0) {
                snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        r = al_error_set(err, errno, "open %s", path);
                else
                        *ret_fd = fd;
        }
        close(sp[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return r;
}
