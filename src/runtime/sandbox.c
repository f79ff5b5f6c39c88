/* SPDX-License-Identifier: Apache-2.0 */
/* Parent side of sandbox creation and teardown. The order matters:
 *   uid slot -> cgroup -> disk -> user namespace -> clone -> cgroup attach ->
 *   "go" -> child builds everything and executes airlock-init.
 * A failure anywhere unwinds what was made, and the child's own failures come
 * back as one message over the sync socket. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_internal.h"

static void close_fd(int *fd);

static struct rt_cgroup_roots cg_roots;
static bool cg_roots_ready;

const struct rt_cgroup_roots *rt_cgroup_roots_get(void)
{
        if (!cg_roots_ready) {
                (void)rt_cgroup_detect("/proc/self/mounts", &cg_roots);
                cg_roots_ready = true;
        }
        return &cg_roots;
}

int rt_init_binary_open(const char *path, struct al_error *err)
{
        _cleanup_fd_ int src = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_fd_ int mfd = -1;
        struct stat st;

        if (src < 0)
                return al_error_set(err, errno, "open airlock-init at %s", path);
        if (fstat(src, &st) < 0)
                return al_error_set(err, errno, "stat %s", path);
        /* A sealed in-memory copy: nothing in a sandbox can ever change the
         * binary that the next sandbox runs as its PID 1. */
        mfd = memfd_create("airlock-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (mfd < 0)
                return al_error_set(err, errno, "memfd_create");
        for (off_t off = 0; off < st.st_size;) {
                ssize_t n = sendfile(mfd, src, &off, (size_t)(st.st_size - off));
                if (n <= 0)
                        return al_error_set(err, n < 0 ? errno : EIO, "copy %s", path);
        }
        if (fchmod(mfd, 0555) < 0 ||
            fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
                return al_error_set(err, errno, "seal airlock-init");
        return TAKE_FD(mfd);
}

static int check_image(const struct rt_config *cfg, char *root, size_t len, struct al_error *err)
{
        struct stat st;

        snprintf(root, len, "%s/images/%s/rootfs", cfg->state_dir, cfg->image);
        if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
                return al_error_setx(err, ENOENT,
                                     "image '%s' not found at %s: build it with "
                                     "'airlockd image build' (or 'make run')",
                                     cfg->image, root);
        return 0;
}

static int prepare_staging(const struct rt_config *cfg, char *staging, size_t len, struct al_error *err)
{
        snprintf(staging, len, "%s/mnt", cfg->state_dir);
        if (mkdir(staging, 0700) < 0 && errno != EEXIST)
                return al_error_set(err, errno, "create %s", staging);
        return 0;
}

static int clone_child(struct rt_child_args *a, pid_t *ret_pid, int *ret_pidfd, struct al_error *err)
{
        int pidfd = -1;
        struct clone_args ca = {
                .flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWTIME |
                         CLONE_PIDFD,
                .pidfd = (uint64_t)(uintptr_t)&pidfd,
                .exit_signal = SIGCHLD,
        };
        pid_t pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));

        if (pid < 0)
                return al_error_set(err, errno, "clone the sandbox's first process");
        if (pid == 0)
                _exit(rt_child_main(a));
        /* CLONE_PIDFD fds are close-on-exec already. */
        *ret_pid = pid;
        *ret_pidfd = pidfd;
        return 0;
}

/* Release the child once its cgroups hold it, then wait for exec: a message
 * means it failed, end-of-file means airlock-init is running. */
static int start_child(struct rt_sandbox *sb, int sync_fd, struct al_error *err)
{
        struct rt_sync_msg m = { 0 };
        ssize_t n;
        int r = sb->cg.ops->attach(&sb->cg, sb->pid, err);

        m.code = r < 0 ? ECANCELED : 0;
        if (send(sync_fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m) && r >= 0)
                r = al_error_set(err, errno, "release the sandbox's first process");
        if (r < 0)
                return r;
        /* While the child mounts, get the filter it will load last. */
        const uint8_t *bpf;
        size_t bpf_len;
        r = rt_seccomp_program(&bpf, &bpf_len, err);
        if (r < 0)
                return r;
        /* A child that failed early has its report waiting and is gone:
         * then that report is the error, not our failed send. */
        int send_errno = send(sync_fd, bpf, bpf_len, MSG_NOSIGNAL) == (ssize_t)bpf_len ? 0 : errno;
        /* The door goes up while the child mounts; nothing in the sandbox
         * runs before airlockd asks, and it asks after this returns. A child
         * that failed makes the door fail too: then its report wins. */
        struct al_error door_err = { 0 };
        int door_r = send_errno ? 0 : rt_netdoor_setup_parent(sb->pid, &sb->door, &door_err);
        /* A child that died with our filter unread makes the first recv
         * fail with ECONNRESET; its report is still queued behind that. */
        int resets = 0;
        do
                n = recv(sync_fd, &m, sizeof(m), 0);
        while (n < 0 && (errno == EINTR || (errno == ECONNRESET && resets++ < 1)));
        if (n == 0 && !send_errno) {
                if (door_r < 0)
                        *err = door_err;
                return door_r < 0 ? door_r : 0;
        }
        if (n != (ssize_t)sizeof(m))
                return send_errno ? al_error_set(err, send_errno, "send the seccomp filter")
                                  : al_error_setx(err, EIO, "sandbox setup died without a report");
        m.msg[sizeof(m.msg) - 1] = '\0';
        return al_error_setx(err, m.code > 0 ? m.code : EIO, "%s", m.msg);
}

static int create_process(struct rt_sandbox *sb, const struct rt_config *cfg, struct rt_child_args *a,
                          struct al_error *err)
{
        _cleanup_fd_ int loop_fd = -1;
        int sync[2], chan[2], r;

        r = rt_disk_attach_parent(cfg->state_dir, cfg->id, cfg->limits.disk_bytes, a->loop_dev, &loop_fd, err);
        if (r >= 0)
                r = rt_userns_open_parent(sb->uid_base, cfg->profile, &a->userns_fd, err);
        if (r < 0)
                return r;
        a->rdv_fds[0] = a->rdv_fds[1] = -1;
        a->slot_fd = cfg->outlive_daemon ? sb->slot_fd : -1;
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) < 0 ||
            (cfg->outlive_daemon && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, a->rdv_fds) < 0)) {
                r = al_error_set(err, errno, "socketpair");
                close(a->userns_fd);
                return r;
        }
        a->sync_fd = sync[1];
        a->chan_fd = chan[1];
        r = clone_child(a, &sb->pid, &sb->pidfd, err);
        close(sync[1]);
        close(chan[1]);
        close(a->userns_fd);
        for (int i = 0; i < 2; i++) /* airlock-init holds both ends */
                if (a->rdv_fds[i] >= 0)
                        close(a->rdv_fds[i]);
        if (r >= 0)
                r = start_child(sb, sync[0], err);
        close(sync[0]);
        if (r < 0) {
                close(chan[0]);
                return r;
        }
        sb->chan_fd = chan[0];
        return 0;
}

struct rt_sandbox *rt_sandbox_alloc(const char *id, struct al_error *err)
{
        struct rt_sandbox *sb = calloc(1, sizeof(*sb));

        if (!sb) {
                al_error_set(err, ENOMEM, "allocate sandbox");
                return NULL;
        }
        *sb = (struct rt_sandbox){ .pid = -1,
                                   .pidfd = -1,
                                   .chan_fd = -1,
                                   .slot_fd = -1,
                                   .mntns_fd = -1,
                                   .door = { .netns_fd = -1, .listen_fd = -1, .dns_fd = -1 } };
        snprintf(sb->id, sizeof(sb->id), "%s", id);
        return sb;
}

int rt_sandbox_create(const struct rt_config *cfg, struct rt_sandbox **ret, struct al_error *err)
{
        struct rt_child_args a = { .cfg = cfg, .userns_fd = -1 };
        struct rt_sandbox *sb;
        unsigned slot;
        int r;

        if (!rt_id_valid(cfg->id))
                return al_error_setx(err, EINVAL, "invalid sandbox id '%s'", cfg->id);
        r = check_image(cfg, a.image_root, sizeof(a.image_root), err);
        if (r >= 0)
                r = prepare_staging(cfg, a.staging, sizeof(a.staging), err);
        if (r < 0)
                return r;
        sb = rt_sandbox_alloc(cfg->id, err);
        if (!sb)
                return -err->code;

        r = rt_slot_acquire(cfg->state_dir, &slot, &sb->slot_fd, err);
        if (r >= 0) {
                sb->uid_base = rt_slot_uid_base(slot);
                a.uid_base = sb->uid_base;
                r = rt_cgroup_init(&sb->cg, rt_cgroup_roots_get(), cfg->id, err);
        }
        if (r >= 0) {
                sb->cgroup_made = true;
                r = sb->cg.ops->create(&sb->cg, &cfg->limits, err);
        }
        if (r >= 0) /* volume.c: loop devices held until the child has mounted them */
                r = rt_volumes_attach_parent(cfg, &a.vols, err);
        if (r >= 0)
                r = create_process(sb, cfg, &a, err);
        rt_volumes_close_parent(&a.vols);
        if (r >= 0) {
                char ns[64];
                snprintf(ns, sizeof(ns), "/proc/%d/ns/mnt", (int)sb->pid);
                sb->mntns_fd = open(ns, O_RDONLY | O_CLOEXEC);
        }
        if (r < 0) {
                al_error_wrap(err, "create sandbox %s", cfg->id);
                rt_sandbox_destroy(sb);
                return r;
        }
        *ret = sb;
        return 0;
}

int rt_sandbox_chan_fd(const struct rt_sandbox *sb)
{
        return sb->chan_fd;
}

pid_t rt_sandbox_pid(const struct rt_sandbox *sb)
{
        return sb->pid;
}

void rt_sandbox_door_fds(const struct rt_sandbox *sb, int *ret_listen, int *ret_dns)
{
        *ret_listen = sb->door.listen_fd;
        *ret_dns = sb->door.dns_fd;
}

void rt_sandbox_door_shut(struct rt_sandbox *sb)
{
        close_fd(&sb->door.listen_fd);
        close_fd(&sb->door.dns_fd);
}

int rt_sandbox_socket(const struct rt_sandbox *sb, int domain, int type, struct al_error *err)
{
        return rt_netdoor_socket(&sb->door, domain, type, err);
}

uid_t rt_sandbox_uid_base(const struct rt_sandbox *sb)
{
        return sb->uid_base;
}

int rt_sandbox_stats(const struct rt_sandbox *sb, struct rt_stats *ret)
{
        return sb->cg.ops->stats(&sb->cg, ret);
}

static void kill_and_reap(struct rt_sandbox *sb)
{
        if (sb->pid > 0 && !sb->reaped) {
                /* PID 1 of the namespace: its death takes every process in it. */
                if (sb->pidfd >= 0)
                        syscall(SYS_pidfd_send_signal, sb->pidfd, SIGKILL, NULL, 0);
                if (sb->adopted) {
                        /* Not our child: its pidfd turns readable when it is gone. */
                        struct pollfd p = { .fd = sb->pidfd, .events = POLLIN };
                        while (sb->pidfd >= 0 && poll(&p, 1, -1) < 0 && errno == EINTR)
                                ;
                } else {
                        while (waitpid(sb->pid, NULL, 0) < 0 && errno == EINTR)
                                ;
                }
                sb->reaped = true;
        }
}

static void close_fd(int *fd)
{
        if (*fd >= 0)
                close(*fd);
        *fd = -1;
}

/* Every process of the sandbox is gone by now; what is left is the kernel's
 * teardown of its mounts (block device, overlay: about 10 ms of RCU grace
 * periods and flushes), then its cgroups and its uid slot, in that order, so
 * that a slot is never reused while anything of its sandbox remains. A forked
 * child does it, and the caller goes on at once; the child's stdio is
 * /dev/null so that nobody waiting for our output waits for it. */
void rt_sandbox_destroy_async(struct rt_sandbox *sb)
{
        pid_t pid;

        if (!sb)
                return;
        kill_and_reap(sb);
        pid = fork();
        if (pid == 0) {
                int null = open("/dev/null", O_RDWR | O_CLOEXEC);
                for (int fd = 0; null >= 0 && fd < 3; fd++)
                        dup2(null, fd);
                setsid();
                rt_sandbox_destroy(sb);
                _exit(0);
        }
        if (pid < 0) { /* no process to spare: do it here */
                rt_sandbox_destroy(sb);
                return;
        }
        close_fd(&sb->pidfd);
        close_fd(&sb->chan_fd);
        close_fd(&sb->slot_fd);
        close_fd(&sb->mntns_fd);
        rt_netdoor_close(&sb->door);
        free(sb);
}

void rt_sandbox_destroy(struct rt_sandbox *sb)
{
        if (!sb)
                return;
        kill_and_reap(sb);
        close_fd(&sb->mntns_fd); /* the mounts go now */
        rt_netdoor_close(&sb->door);
        if (sb->cgroup_made && sb->cg.ops)
                (void)sb->cg.ops->destroy(&sb->cg);
        if (sb->pidfd >= 0)
                close(sb->pidfd);
        if (sb->chan_fd >= 0)
                close(sb->chan_fd);
        if (sb->slot_fd >= 0)
                close(sb->slot_fd);
        free(sb);
}
