/* SPDX-License-Identifier: Apache-2.0 */
/* A process confining itself (selfconfine.h). airlock-proxy parses every
 * byte sandboxes send out and every byte the internet sends back; it runs
 * as its own user with no capability, and on top of that it gives up here
 * what it never needs, so that a bug in a parser is worth as little as
 * possible: no exec (nothing to run), no new processes, no namespaces, no
 * writes to any file, no reaching processes or abstract sockets outside its
 * own Landlock domain, and none of the kernel's larger attack surfaces. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "selfconfine.h"

/* Rights newer than Debian 12's headers: the kernel's UAPI values. */
#define LL_FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */

int rt_landlock_abi(void)
{
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        return abi < 0 ? 0 : (int)abi;
}

size_t rt_ll_attr_scope(int abi, struct rt_ll_attr *attr)
{
        if (abi >= 6) {
                attr->scoped = RT_LL_SCOPE_ABSTRACT_UNIX | RT_LL_SCOPE_SIGNAL;
                return sizeof(*attr);
        }
        return abi >= 4 ? offsetof(struct rt_ll_attr, scoped) : offsetof(struct rt_ll_attr, handled_access_net);
}

/* Every right that changes or runs something, handled and granted nowhere;
 * reading stays free (the trust store is read lazily, resolv.conf at start). */
static int landlock_read_only(struct al_error *err)
{
        struct rt_ll_attr attr = {
                .handled_access_fs =
                        LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                        LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
                        LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                        LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM,
        };
        int abi = rt_landlock_abi();
        size_t size;
        _cleanup_fd_ int fd = -1;

        if (abi < 1)
                return 0; /* no Landlock: the other layers stand alone */
        if (abi >= 2)
                attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
        if (abi >= 3)
                attr.handled_access_fs |= LL_FS_TRUNCATE;
        if (abi >= 5)
                attr.handled_access_fs |= LL_FS_IOCTL_DEV;
        size = rt_ll_attr_scope(abi, &attr);
        fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
        if (fd < 0)
                return al_error_set(err, errno, "create the Landlock ruleset (ABI %d)", abi);
        if (syscall(SYS_landlock_restrict_self, fd, 0) < 0)
                return al_error_set(err, errno, "enforce the Landlock ruleset");
        return 0;
}

/* Calls a network proxy on an event loop never makes. EPERM rather than a
 * kill: a library that probes for one degrades instead of dying. */
static const char *const denied[] = {
        "execve",
        "execveat",
        "fork",
        "vfork",
        "clone",
        "clone3",
        "ptrace",
        "process_vm_readv",
        "process_vm_writev",
        "process_madvise",
        "pidfd_getfd",
        "unshare",
        "setns",
        "mount",
        "umount2",
        "pivot_root",
        "chroot",
        "fsopen",
        "fsmount",
        "fsconfig",
        "fspick",
        "move_mount",
        "open_tree",
        "mount_setattr",
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "io_uring_setup",
        "io_uring_enter",
        "io_uring_register",
        "keyctl",
        "add_key",
        "request_key",
        "init_module",
        "finit_module",
        "delete_module",
        "kexec_load",
        "kexec_file_load",
        "open_by_handle_at",
        "name_to_handle_at",
        "swapon",
        "swapoff",
        "reboot",
        "acct",
        "quotactl",
        "settimeofday",
        "clock_settime",
        "adjtimex",
        "clock_adjtime",
        "personality",
        "syslog",
        "uselib",
        "memfd_secret",
        "landlock_create_ruleset",
        "setuid",
        "setgid",
        "setreuid",
        "setregid",
        "setresuid",
        "setresgid",
        "setgroups",
        "setfsuid",
        "setfsgid",
        "mknod",
        "mknodat",
        "lookup_dcookie",
        "vhangup",
        "nfsservctl",
};

static int seccomp_deny(struct al_error *err)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r = 0;

        if (!ctx)
                return al_error_setx(err, ENOMEM, "seccomp context");
        for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]) && r >= 0; i++) {
                int nr = seccomp_syscall_resolve_name(denied[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue; /* not on this architecture */
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        }
        /* Another ABI's calls (32-bit int 0x80, x32) are not ours at all. */
        if (r >= 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        if (r >= 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        if (r < 0)
                return al_error_set(err, -r, "load the seccomp filter");
        return 0;
}

int rt_self_confine(struct al_error *err)
{
        int r;

        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return al_error_set(err, errno, "set no_new_privs");
        r = landlock_read_only(err);
        return r < 0 ? r : seccomp_deny(err);
}
