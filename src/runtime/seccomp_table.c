/* SPDX-License-Identifier: Apache-2.0 */
/* Modelled on the Docker/moby default profile, narrower: no ptrace, no
 * process_vm_*, no io_uring, no keyrings, no namespace or mount calls. */
#include <linux/sched.h>
#include <string.h>

#include "seccomp.h"

#define A(n) { #n, RT_SC_ALLOW }
#define P(n) { #n, RT_SC_EPERM }
#define C(n) { #n, RT_SC_CONDITIONAL }

const struct rt_sc_entry rt_sc_table[] = {
        /* files and directories */
        A(access), A(chdir), A(chmod), A(chown), A(close), A(close_range), A(copy_file_range),
        A(creat), A(dup), A(dup2), A(dup3), A(faccessat), A(faccessat2), A(fadvise64),
        A(fallocate), A(fchdir), A(fchmod), A(fchmodat), A(fchmodat2), A(fchown), A(fchownat),
        A(fcntl), A(fdatasync), A(fgetxattr), A(flistxattr), A(flock), A(fremovexattr),
        A(fsetxattr), A(fstat), A(fstatfs), A(fsync), A(ftruncate), A(futimesat), A(getcwd),
        A(getdents), A(getdents64), A(getxattr), A(inotify_add_watch), A(inotify_init),
        A(inotify_init1), A(inotify_rm_watch), A(lchown), A(lgetxattr), A(link), A(linkat),
        A(listxattr), A(llistxattr), A(lremovexattr), A(lseek), A(lsetxattr), A(lstat),
        A(mkdir), A(mkdirat), A(mknod), A(mknodat), A(newfstatat), A(open), A(openat),
        A(openat2), A(pread64), A(preadv), A(preadv2), A(pwrite64), A(pwritev), A(pwritev2),
        A(read), A(readahead), A(readlink), A(readlinkat), A(readv), A(removexattr), A(rename),
        A(renameat), A(renameat2), A(rmdir), A(sendfile), A(setxattr), A(splice), A(stat),
        A(statfs), A(statx), A(symlink), A(symlinkat), A(sync), A(sync_file_range), A(syncfs),
        A(tee), A(truncate), A(umask), A(unlink), A(unlinkat), A(utime), A(utimensat),
        A(utimes), A(vmsplice), A(write), A(writev), A(memfd_create), A(name_to_handle_at),
        A(io_setup), A(io_submit), A(io_getevents), A(io_pgetevents), A(io_cancel),
        A(io_destroy), A(cachestat),
        /* memory */
        A(brk), A(madvise), A(membarrier), A(mincore), A(mlock), A(mlock2), A(mlockall),
        A(mmap), A(mprotect), A(mremap), A(msync), A(munlock), A(munlockall), A(munmap),
        A(pkey_alloc), A(pkey_free), A(pkey_mprotect), A(remap_file_pages), A(map_shadow_stack),
        /* processes, threads, signals */
        A(arch_prctl), A(capget), A(capset), A(execve), A(execveat), A(exit), A(exit_group),
        A(fork), A(vfork), A(futex), A(futex_waitv), A(futex_wake), A(futex_wait),
        A(futex_requeue), A(get_robust_list), A(set_robust_list), A(get_thread_area),
        A(set_thread_area), A(set_tid_address), A(getcpu), A(getegid), A(geteuid), A(getgid),
        A(getgroups), A(getpgid), A(getpgrp), A(getpid), A(getppid), A(getpriority),
        A(getresgid), A(getresuid), A(getrlimit), A(getrusage), A(getsid), A(gettid),
        A(getuid), A(ioprio_get), A(ioprio_set), A(kill), A(pidfd_open), A(pidfd_send_signal),
        A(prctl), A(prlimit64), A(process_mrelease), A(restart_syscall), A(rseq),
        A(rt_sigaction), A(rt_sigpending), A(rt_sigprocmask), A(rt_sigqueueinfo),
        A(rt_sigreturn), A(rt_sigsuspend), A(rt_sigtimedwait), A(rt_tgsigqueueinfo),
        A(sched_getaffinity), A(sched_getattr), A(sched_getparam), A(sched_get_priority_max),
        A(sched_get_priority_min), A(sched_getscheduler), A(sched_rr_get_interval),
        A(sched_setaffinity), A(sched_setattr), A(sched_setparam), A(sched_setscheduler),
        A(sched_yield), A(seccomp), A(setfsgid), A(setfsuid), A(setgid), A(setgroups),
        A(setpgid), A(setpriority), A(setregid), A(setresgid), A(setresuid), A(setreuid),
        A(setrlimit), A(setsid), A(setuid), A(sigaltstack), A(tgkill), A(tkill), A(wait4),
        A(waitid), A(landlock_create_ruleset), A(landlock_add_rule), A(landlock_restrict_self),
        /* time */
        A(alarm), A(clock_getres), A(clock_gettime), A(clock_nanosleep), A(getitimer),
        A(gettimeofday), A(nanosleep), A(pause), A(setitimer), A(time), A(timer_create),
        A(timer_delete), A(timer_getoverrun), A(timer_gettime), A(timer_settime),
        A(timerfd_create), A(timerfd_gettime), A(timerfd_settime), A(times),
        /* events and ipc */
        A(epoll_create), A(epoll_create1), A(epoll_ctl), A(epoll_pwait), A(epoll_pwait2),
        A(epoll_wait), A(eventfd), A(eventfd2), A(pipe), A(pipe2), A(poll), A(ppoll),
        A(pselect6), A(select), A(signalfd), A(signalfd4), A(msgctl), A(msgget), A(msgrcv),
        A(msgsnd), A(semctl), A(semget), A(semop), A(semtimedop), A(shmat), A(shmctl),
        A(shmdt), A(shmget), A(mq_getsetattr), A(mq_notify), A(mq_open), A(mq_timedreceive),
        A(mq_timedsend), A(mq_unlink),
        /* network (socket itself is conditional) */
        A(accept), A(accept4), A(bind), A(connect), A(getpeername), A(getsockname),
        A(getsockopt), A(listen), A(recvfrom), A(recvmmsg), A(recvmsg), A(sendmmsg),
        A(sendmsg), A(sendto), A(setsockopt), A(shutdown), A(socketpair),
        /* system information */
        A(getrandom), A(sysinfo), A(uname),

        /* argument rules: clone without namespace flags, socket families,
         * ioctl without TIOCSTI/TIOCLINUX, personality without unsafe bits */
        C(clone), C(socket), C(ioctl), C(personality),

        /* clone3 takes its flags in memory, which seccomp cannot read: ENOSYS
         * makes libc fall back to clone, whose flags the filter checks. */
        { "clone3", RT_SC_ENOSYS },

        /* known-dangerous: an explicit EPERM */
        P(mount), P(umount2), P(pivot_root), P(chroot), P(swapon), P(swapoff), P(reboot),
        P(kexec_load), P(kexec_file_load), P(init_module), P(finit_module), P(delete_module),
        P(acct), P(quotactl), P(quotactl_fd), P(settimeofday), P(clock_settime),
        P(clock_adjtime), P(adjtimex), P(iopl), P(ioperm), P(keyctl), P(add_key),
        P(request_key), P(bpf), P(perf_event_open), P(userfaultfd), P(io_uring_setup),
        P(io_uring_enter), P(io_uring_register), P(open_by_handle_at), P(lookup_dcookie),
        P(nfsservctl), P(uselib), P(ustat), P(sysfs), P(_sysctl), P(fanotify_init),
        P(fanotify_mark), P(unshare), P(setns), P(kcmp), P(pidfd_getfd), P(process_madvise),
        P(move_pages), P(mbind), P(set_mempolicy), P(get_mempolicy), P(migrate_pages),
        P(set_mempolicy_home_node), P(syslog), P(fsopen), P(fsconfig), P(fsmount), P(fspick),
        P(open_tree), P(move_mount), P(mount_setattr), P(ptrace), P(process_vm_readv),
        P(process_vm_writev), P(sethostname), P(setdomainname), P(vhangup), P(modify_ldt),
        P(create_module), P(get_kernel_syms), P(query_module), P(memfd_secret), P(uretprobe),
};

const size_t rt_sc_table_len = sizeof(rt_sc_table) / sizeof(rt_sc_table[0]);

const unsigned long rt_sc_ns_flags[] = {
        CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWNET,    CLONE_NEWPID,
        CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME,
};
const size_t rt_sc_ns_flags_len = sizeof(rt_sc_ns_flags) / sizeof(rt_sc_ns_flags[0]);

/* Values that programs use harmlessly: PER_LINUX, PER_LINUX32, UNAME26
 * variants, and the 0xffffffff query. */
const unsigned long rt_sc_personality_ok[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };
const size_t rt_sc_personality_ok_len =
        sizeof(rt_sc_personality_ok) / sizeof(rt_sc_personality_ok[0]);

const struct rt_sc_entry *rt_sc_lookup(const char *name)
{
        for (size_t i = 0; i < rt_sc_table_len; i++)
                if (strcmp(rt_sc_table[i].name, name) == 0)
                        return &rt_sc_table[i];
        return NULL;
}
