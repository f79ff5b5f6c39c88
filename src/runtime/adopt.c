/* SPDX-License-Identifier: Apache-2.0 */
/* Sandboxes outlive airlockd. One made with outlive_daemon keeps, in its
 * airlock-init, both ends of a rendezvous socket and a copy of its uid slot's
 * lock (common/chan.h). A restarted airlockd finds the process again by pid
 * and start time, takes copies of those descriptors with pidfd_getfd(2), and
 * hands airlock-init a new channel through the rendezvous. Nothing here reads
 * a path inside the sandbox: /proc/PID entries of the host's procfs only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/chan.h"
#include "common/cleanup.h"
#include "runtime_internal.h"

/* Field 22 of /proc/PID/stat; the command name (field 2) may hold spaces
 * and parentheses, so fields are counted from its last ')'. */
static int read_start_time(pid_t pid, uint64_t *ret)
{
        char path[64], buf[1024];
        _cleanup_fd_ int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        if (!p)
                return -EIO;
        p++;
        for (int field = 2; field < 21 && p; field++)
                p = strchr(p + 1, ' ');
        if (!p)
                return -EIO;
        *ret = strtoull(p + 1, NULL, 10);
        return 0;
}

int rt_sandbox_ident(const struct rt_sandbox *sb, struct rt_ident *ret)
{
        ret->pid = sb->pid;
        return read_start_time(sb->pid, &ret->start_time);
}

/* The process's cgroups name the sandbox (every hierarchy ends in the id):
 * a pid and start time that match by chance are still checked. */
static bool in_sandbox_cgroup(pid_t pid, const char *id)
{
        char path[64], buf[4096];
        _cleanup_fd_ int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
                return false;
        buf[n] = '\0';
        return strstr(buf, "/" RT_CG_GROUP "/") && strstr(buf, id);
}

/* "0 BASE 65536": the first line of the sandbox's uid map. */
static int read_uid_base(pid_t pid, uid_t *ret)
{
        char path[64], buf[256];
        _cleanup_fd_ int fd = -1;
        unsigned long inside, outside, count;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
                return -EIO;
        buf[n] = '\0';
        if (sscanf(buf, "%lu %lu %lu", &inside, &outside, &count) != 3 || inside != 0 || outside < AL_UID_BASE)
                return -EIO;
        *ret = (uid_t)outside;
        return 0;
}

static int send_fd(int sock, int fd)
{
        char byte = 'c';
        struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u = { 0 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 ? 0 : -errno;
}

static int take_fd(int pidfd, int target, const char *what, struct al_error *err)
{
        int fd = (int)syscall(SYS_pidfd_getfd, pidfd, target, 0);

        if (fd < 0)
                return al_error_set(err, errno, "take the sandbox's %s (fd %d)", what, target);
        return fd; /* pidfd_getfd's descriptors are close-on-exec */
}

/* A new channel: one end stays here, the other goes to airlock-init. */
static int new_channel(struct rt_sandbox *sb, struct al_error *err)
{
        _cleanup_fd_ int rdv = take_fd(sb->pidfd, AL_INIT_FD_RDV_PEER, "rendezvous", err);
        int chan[2], r;

        if (rdv < 0)
                return rdv;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) < 0)
                return al_error_set(err, errno, "socketpair");
        r = send_fd(rdv, chan[1]);
        close(chan[1]);
        if (r < 0) {
                close(chan[0]);
                return al_error_set(err, -r, "hand the sandbox a new channel");
        }
        sb->chan_fd = chan[0];
        return 0;
}

static int adopt(struct rt_sandbox *sb, const struct rt_ident *ident, struct al_error *err)
{
        char path[64];
        uint64_t start = 0;
        int r;

        sb->pidfd = (int)syscall(SYS_pidfd_open, ident->pid, 0);
        if (sb->pidfd < 0)
                return al_error_set(err, errno == ESRCH ? ESRCH : errno, "find airlock-init (pid %d)", (int)ident->pid);
        /* Checked after the pidfd is held: the pid cannot be reused meanwhile. */
        if (read_start_time(ident->pid, &start) < 0 || start != ident->start_time ||
            !in_sandbox_cgroup(ident->pid, sb->id))
                return al_error_setx(err, ESRCH, "pid %d is not this sandbox's airlock-init any more", (int)ident->pid);
        sb->pid = ident->pid;
        r = read_uid_base(sb->pid, &sb->uid_base);
        if (r < 0)
                return al_error_setx(err, EIO, "read the sandbox's uid map");
        sb->slot_fd = take_fd(sb->pidfd, AL_INIT_FD_SLOT, "uid slot lock", err);
        if (sb->slot_fd < 0)
                return sb->slot_fd;
        r = rt_cgroup_init(&sb->cg, rt_cgroup_roots_get(), sb->id, err);
        if (r < 0)
                return r;
        sb->cgroup_made = true;
        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)sb->pid);
        sb->mntns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (sb->mntns_fd < 0)
                return al_error_set(err, errno, "open the sandbox's mount namespace");
        r = rt_netdoor_reopen_parent(sb->pid, &sb->door, err);
        if (r >= 0)
                r = new_channel(sb, err);
        return r;
}

int rt_sandbox_adopt(const char *id, const struct rt_ident *ident, struct rt_sandbox **ret, struct al_error *err)
{
        struct rt_sandbox *sb;
        int r;

        if (!rt_id_valid(id))
                return al_error_setx(err, EINVAL, "invalid sandbox id '%s'", id);
        sb = rt_sandbox_alloc(id, err);
        if (!sb)
                return -err->code;
        sb->adopted = true;
        r = adopt(sb, ident, err);
        if (r < 0) {
                al_error_wrap(err, "adopt sandbox %s", id);
                /* Nothing of the sandbox is touched: it is either gone or
                 * left for rt_remains_remove and the caller to decide. */
                sb->reaped = true;
                sb->cgroup_made = false;
                rt_sandbox_release(sb);
                return r;
        }
        *ret = sb;
        return 0;
}

void rt_sandbox_release(struct rt_sandbox *sb)
{
        int *fds[] = { &sb->pidfd, &sb->chan_fd, &sb->slot_fd, &sb->mntns_fd };

        if (!sb)
                return;
        for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
                if (*fds[i] >= 0)
                        close(*fds[i]);
        rt_netdoor_close(&sb->door);
        free(sb);
}

static bool listed(const char *id, const char *const *ids, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(ids[i], id) == 0)
                        return true;
        return false;
}

static void kill_all(const char *dir)
{
        char path[PATH_MAX + 80], buf[65536];
        _cleanup_fd_ int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
                return;
        buf[n] = '\0';
        for (char *save = NULL, *t = strtok_r(buf, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
                pid_t pid = (pid_t)strtol(t, NULL, 10);
                if (pid > 1)
                        kill(pid, SIGKILL);
        }
}

/* One pass over <root>/airlock. The cgroups of sandboxes recorded as ended
 * go; so do empty ones of unknown sandboxes that are over a minute old (a
 * create that died half-way). A young one may be a sandbox being made right
 * now (`airlockd run`, another state directory), and one with a process in it
 * is alive: both stay. */
static int remove_cgroups(const char *root, const char *const *keep, size_t n_keep, const char *const *gone,
                          size_t n_gone)
{
        char dir[PATH_MAX + 16], path[PATH_MAX + 64];
        struct dirent *de;
        struct stat st;
        DIR *d;
        int removed = 0;

        if (!root[0])
                return 0;
        snprintf(dir, sizeof(dir), "%s/" RT_CG_GROUP, root);
        d = opendir(dir);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                if (!rt_id_valid(de->d_name) || listed(de->d_name, keep, n_keep))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (listed(de->d_name, gone, n_gone)) {
                        kill_all(path);             /* a sandbox the store says ended must not run on */
                        if (rt_cg_rmdir(path) == 0) /* its processes may still be on their way out */
                                removed++;
                } else if (stat(path, &st) == 0 && st.st_mtime + 60 < time(NULL) && rmdir(path) == 0) {
                        removed++;
                }
        }
        closedir(d);
        return removed;
}

/* A disk is unlinked as soon as its loop device holds it; one still named
 * belongs to a create that died half-way. The template stays. */
static int remove_disks(const char *state_dir)
{
        char dir[PATH_MAX], path[PATH_MAX + 300];
        struct stat st;
        struct dirent *de;
        DIR *d;
        int removed = 0;

        snprintf(dir, sizeof(dir), "%s/disks", state_dir);
        d = opendir(dir);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len != RT_ID_LEN + 4 || strcmp(de->d_name + RT_ID_LEN, ".img") != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                /* A create of `airlockd run` may be copying one right now. */
                if (stat(path, &st) == 0 && st.st_mtime + 60 < time(NULL) && unlink(path) == 0)
                        removed++;
        }
        closedir(d);
        return removed;
}

int rt_remains_remove(const char *state_dir, const char *const *keep, size_t n_keep, const char *const *gone,
                      size_t n_gone)
{
        const struct rt_cgroup_roots *r = rt_cgroup_roots_get();
        int removed = remove_disks(state_dir);

        if (r->version == RT_CG_V2) {
                removed += remove_cgroups(r->unified, keep, n_keep, gone, n_gone);
        } else if (r->version == RT_CG_V1) {
                removed += remove_cgroups(r->memory, keep, n_keep, gone, n_gone);
                removed += remove_cgroups(r->cpu, keep, n_keep, gone, n_gone);
                removed += remove_cgroups(r->pids, keep, n_keep, gone, n_gone);
        }
        return removed;
}
