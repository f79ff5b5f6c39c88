/* SPDX-License-Identifier: Apache-2.0 */
/* The cloned child: PID 1 of the new pid namespace, still host root, in new
 * mount, network, ipc, uts and time namespaces owned by the host's user
 * namespace. It builds the root filesystem, joins the sandbox's user
 * namespace, locks itself down and becomes airlock-init. Any failure is
 * reported to the parent over the sync socket as one message. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/chan.h"
#include "common/cleanup.h"
#include "runtime_internal.h"

static int wait_go(int sync_fd, struct al_error *err)
{
        struct rt_sync_msg m;
        ssize_t n = recv(sync_fd, &m, sizeof(m), 0);

        if (n != (ssize_t)sizeof(m) || m.code != 0)
                return al_error_setx(err, ECANCELED, "parent aborted sandbox setup");
        return 0;
}

static int write_etc_child(const char *path, const char *text, uid_t base, struct al_error *err)
{
        size_t len = strlen(text);
        _cleanup_fd_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

        if (fd < 0 || write(fd, text, len) != (ssize_t)len)
                return al_error_set(err, errno, "write %s", path);
        if (fchown(fd, base, base) < 0)
                return al_error_set(err, errno, "chown %s", path);
        return 0;
}

/* Name resolution goes to the door's DNS listener (any address would do:
 * every DNS query is redirected there). */
static int write_hosts_child(const char *id, uid_t base, struct al_error *err)
{
        char buf[256];

        snprintf(buf, sizeof(buf), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n127.0.1.1\t%s\n", id);
        int r = write_etc_child("/etc/hosts", buf, base, err);
        if (r >= 0)
                r = write_etc_child("/etc/resolv.conf", "nameserver 127.0.0.1\noptions ndots:0\n", base, err);
        return r;
}

static int set_identity_child(const struct rt_child_args *a, struct al_error *err)
{
        if (sethostname(a->cfg->id, strlen(a->cfg->id)) < 0)
                return al_error_set(err, errno, "sethostname");
        if (setns(a->userns_fd, CLONE_NEWUSER) < 0)
                return al_error_set(err, errno, "join the sandbox's user namespace");
        if (a->cfg->profile != RT_PROFILE_STRICT && setgroups(0, NULL) < 0)
                return al_error_set(err, errno, "setgroups");
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                return al_error_set(err, errno, "become the sandbox's root");
        return 0;
}

static int set_rlimits_child(struct al_error *err)
{
        struct rlimit nofile = { AL_NOFILE, AL_NOFILE };
        struct rlimit core = { 0, 0 };

        if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 || setrlimit(RLIMIT_CORE, &core) < 0)
                return al_error_set(err, errno, "setrlimit");
        return 0;
}

/* The parent compiles the filter while we build the filesystem, and sends
 * it as one packet. */
static int recv_filter_child(int sync_fd, uint8_t *buf, size_t *len, struct al_error *err)
{
        ssize_t n;

        do
                n = recv(sync_fd, buf, RT_SECCOMP_MAX_BPF, 0);
        while (n < 0 && errno == EINTR);
        if (n <= 0)
                return al_error_setx(err, ECANCELED, "parent sent no seccomp filter");
        *len = (size_t)n;
        return 0;
}

static int lock_down_child(const struct rt_child_args *a, struct al_error *err)
{
        bool strict = a->cfg->profile == RT_PROFILE_STRICT;
        static uint8_t bpf[RT_SECCOMP_MAX_BPF];
        size_t bpf_len = 0;
        int r;

        if (strict && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return al_error_set(err, errno, "set no_new_privs");
        r = recv_filter_child(a->sync_fd, bpf, &bpf_len, err);
        if (r >= 0)
                r = rt_landlock_child(err);
        /* Without no_new_privs, loading the filter needs CAP_SYS_ADMIN in the
         * sandbox's user namespace, so the filter goes in before the
         * capabilities are dropped; nothing after it is a filtered call. */
        if (r >= 0)
                r = rt_seccomp_install_child(bpf, bpf_len, err);
        if (r >= 0)
                r = rt_caps_drop_child(a->cfg->profile, err);
        return r;
}

/* Put the descriptors airlock-init starts with at their numbers (chan.h).
 * They are first moved above every target so that no dup2 overwrites a
 * source not yet moved. */
static int place_fds_child(const struct rt_child_args *a, int *ret_last, struct al_error *err)
{
        int src[] = { a->chan_fd, a->rdv_fds[0], a->rdv_fds[1], a->slot_fd };
        int n = a->rdv_fds[0] >= 0 ? 4 : 1;

        for (int i = 0; i < n; i++) {
                src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 64);
                if (src[i] < 0)
                        return al_error_set(err, errno, "move airlock-init's descriptors");
        }
        for (int i = 0; i < n; i++)
                if (dup2(src[i], AL_INIT_FD_CHAN + i) < 0)
                        return al_error_set(err, errno, "dup airlock-init's descriptor %d", AL_INIT_FD_CHAN + i);
        *ret_last = AL_INIT_FD_CHAN + n - 1;
        return 0;
}

static int exec_init_child(const struct rt_child_args *a, int *sync_fd, struct al_error *err)
{
        char *const argv[] = { "airlock-init", NULL };
        char *const envp[] = { NULL };
        /* airlock-init's memfd and the sync socket must not sit where the
         * descriptors go. */
        int init_fd = fcntl(a->cfg->init_fd, F_DUPFD_CLOEXEC, 64);
        int moved_sync = fcntl(*sync_fd, F_DUPFD_CLOEXEC, 64);
        int last = AL_INIT_FD_CHAN, r;

        if (init_fd < 0 || moved_sync < 0)
                return al_error_set(err, errno, "move airlock-init's descriptors");
        *sync_fd = moved_sync;
        r = place_fds_child(a, &last, err);
        if (r < 0)
                return r;
        /* Nothing else of the host's may cross exec. */
        if (syscall(SYS_close_range, last + 1, ~0u, CLOSE_RANGE_CLOEXEC) < 0)
                return al_error_set(err, errno, "close_range");
        syscall(SYS_execveat, init_fd, "", argv, envp, AT_EMPTY_PATH);
        return al_error_set(err, errno, "execute airlock-init");
}

static void report_child(int sync_fd, const struct al_error *err)
{
        struct rt_sync_msg m = { .code = err->code ? err->code : EIO };

        memcpy(m.msg, err->msg, sizeof(m.msg));
        m.msg[sizeof(m.msg) - 1] = '\0';
        (void)send(sync_fd, &m, sizeof(m), MSG_NOSIGNAL);
}

int rt_child_main(void *arg)
{
        const struct rt_child_args *a = arg;
        struct al_error err = { 0 };
        int sync_fd = a->sync_fd;
        int r;

        r = wait_go(a->sync_fd, &err);
        /* The parent moved us into our cgroups; make them our cgroup root. */
        if (r >= 0 && unshare(CLONE_NEWCGROUP) < 0)
                r = al_error_set(&err, errno, "unshare cgroup namespace");
        if (r >= 0)
                r = rt_rootfs_setup_child(a, &err);
        if (r >= 0)
                r = write_hosts_child(a->cfg->id, a->uid_base, &err);
        if (r >= 0)
                r = set_rlimits_child(&err);
        if (r >= 0)
                r = set_identity_child(a, &err);
        if (r >= 0)
                r = lock_down_child(a, &err);
        if (r >= 0)
                (void)exec_init_child(a, &sync_fd, &err); /* returns only on failure, with err set */
        report_child(sync_fd, &err);
        _exit(127);
}
