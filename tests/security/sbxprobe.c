/* SPDX-License-Identifier: Apache-2.0 */
/* sbxprobe: the in-sandbox half of the security suite (tests/security).
 *
 * It runs inside a sandbox as the unprivileged app user and checks the
 * catalogue's SEC-xx promises one syscall at a time, printing TAP. The same
 * binary runs unsandboxed on the host as the negative control (SEC-63), as
 * root, where most checks must fail. The expectations never depend on where
 * it runs, so every probe is written to be harmless even when nothing stops
 * it: arguments that make the call fail cleanly if it is allowed (bad magic,
 * NULL, fd -1, a path that does not exist), anything that changes process
 * state runs in a throwaway child, files are opened for writing but never
 * written, and no packet leaves the machine. Every wait is bounded.
 *
 * The SEC-04 lists come from rt_sc_table, the same table that builds the
 * filter, so the probe and the policy cannot drift apart; so do SEC-64's rule
 * by rule checks (probe_seccomp.c). probe_isolation.c holds Landlock,
 * environment, setuid, page-cache, leak, exe and host-socket checks. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"
#include "runtime/seccomp.h"

#define SWEEP_MAX 1024
#define LAST_REAL_NR 462 /* numbers above this are swept whole */
#define NOFILE_MAX 4096
#define UFFD_USER_MODE_ONLY_FLAG 1
#define KEYCTL_GET_KEYRING_ID_OP 0
#define KEY_SPEC_USER_KEYRING_ID (-4)
#define BAD_SOCK_TYPE 15 /* >= SOCK_MAX: the kernel says EINVAL before any module autoload */

enum profile expect = PROFILE_DEFAULT;
static int t_num, t_pass, t_fail, t_skip;

/* ---- TAP ---------------------------------------------------------------- */

static void vtap(bool ok, const char *id, const char *got, const char *fmt, va_list ap)
{
        char desc[512];

        vsnprintf(desc, sizeof(desc), fmt, ap);
        t_num++;
        if (ok) {
                t_pass++;
                printf("ok %d - %s %s\n", t_num, id, desc);
        } else {
                t_fail++;
                printf("not ok %d - %s %s (%s)\n", t_num, id, desc, got && *got ? got : "failed");
        }
        fflush(stdout);
}

void tap(bool ok, const char *id, const char *got, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vtap(ok, id, got, fmt, ap);
        va_end(ap);
}

void tap_skip(const char *id, const char *reason, const char *fmt, ...)
{
        char desc[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(desc, sizeof(desc), fmt, ap);
        va_end(ap);
        t_num++;
        t_pass++;
        t_skip++;
        printf("ok %d - %s %s # SKIP %s\n", t_num, id, desc, reason);
        fflush(stdout);
}

const char *ename(int e)
{
        const char *s = e ? strerrorname_np(e) : NULL;
        static char buf[16];

        if (s)
                return s;
        snprintf(buf, sizeof(buf), "errno %d", e);
        return buf;
}

bool errno_in(int e, const int *set)
{
        for (; *set; set++)
                if (*set == e)
                        return true;
        return false;
}

const char *res_str(const struct sc_res *r, char *buf, size_t n)
{
        if (r->hung)
                snprintf(buf, n, "got no answer in %ds", CHILD_TIMEOUT_S);
        else if (r->sig)
                snprintf(buf, n, "killed by signal %d", r->sig);
        else if (r->ret == -1)
                snprintf(buf, n, "got %s", ename(r->err));
        else
                snprintf(buf, n, "returned %ld", r->ret);
        return buf;
}

/* ok when the call failed with one of the allowed errnos */
void expect_res(const char *id, const struct sc_res *r, const int *allowed, const char *fmt, ...)
{
        bool ok = !r->hung && !r->sig && r->ret == -1 && errno_in(r->err, allowed);
        char got[96];
        va_list ap;

        va_start(ap, fmt);
        vtap(ok, id, res_str(r, got, sizeof(got)), fmt, ap);
        va_end(ap);
}

/* ---- running a syscall in a throwaway child ------------------------------ */

/* A child's own deadline: the default SIGALRM action, not the watchdog. */
void child_deadline(void)
{
        signal(SIGALRM, SIG_DFL);
        alarm(CHILD_TIMEOUT_S);
}

void wait_child(pid_t pid, int *status)
{
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
}

/* fork or vfork by number; the new process runs no C code (a vfork child
 * shares our stack) and leaves through a raw exit. */
static long raw_forklike(long nr)
{
        long ret;

        __asm__ volatile("syscall" : "=a"(ret) : "0"(nr) : "rcx", "r11", "memory");
        if (ret == 0)
                __asm__ volatile("syscall" : : "a"((long)SYS_exit), "D"(0L) : "rcx", "r11", "memory");
        if (ret < 0) {
                errno = (int)-ret;
                return -1;
        }
        wait_child((pid_t)ret, NULL);
        return ret;
}

/* Any effect of the call (a new namespace, a personality, a returned fd) dies
 * with the child; a signal or a hang is reported instead of taking us along. */
struct sc_res sc_run(long nr, unsigned opts, const long a[6])
{
        struct sc_res res = { .ret = -1 };
        struct { long ret; int err; } m;
        int p[2], status;
        pid_t pid;

        fflush(NULL);
        if (pipe2(p, O_CLOEXEC) < 0) {
                res.err = errno;
                return res;
        }
        pid = fork();
        if (pid < 0) {
                res.err = errno;
                close(p[0]);
                close(p[1]);
                return res;
        }
        if (pid == 0) {
                close(p[0]);
                child_deadline();
                if ((opts & SC_SETSID) && setsid() < 0)
                        _exit(120);
                if (opts & SC_SHORT)
                        alarm(1);
                errno = 0;
                if (opts & SC_FORKLIKE)
                        m.ret = raw_forklike(nr);
                else
                        m.ret = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
                m.err = m.ret == -1 ? errno : 0;
                if (write(p[1], &m, sizeof(m)) != (ssize_t)sizeof(m))
                        _exit(121);
                _exit(0);
        }
        close(p[1]);
        struct pollfd pfd = { .fd = p[0], .events = POLLIN };
        int n = poll(&pfd, 1, (CHILD_TIMEOUT_S + 2) * 1000);
        if (n > 0 && read(p[0], &m, sizeof(m)) == (ssize_t)sizeof(m)) {
                res.ret = m.ret;
                res.err = m.err;
        } else {
                res.hung = n == 0;
                kill(pid, SIGKILL);
        }
        close(p[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!res.hung && res.ret == -1 && res.err == 0 && WIFSIGNALED(status))
                res.sig = WTERMSIG(status);
        return res;
}

/* Harmless arguments for each known-dangerous call: if the filter let it
 * through, it would still fail (or do nothing) even as host root. */
static unsigned harmless_args(const char *name, long a[6])
{
        static const struct timeval bad_tv = { 0, 2000000 };
        static const struct timespec bad_ts = { 0, 2000000000L };
#define IS(s) (strcmp(name, s) == 0)

        memset(a, 0, 6 * sizeof(*a));
        if (IS("mount") || IS("pivot_root")) {
                a[0] = (long)NOPATH;
                a[1] = (long)NOPATH;
                a[2] = (long)"tmpfs";
        } else if (IS("umount2") || IS("chroot") || IS("swapon") || IS("swapoff") || IS("acct") ||
                   IS("uselib")) {
                a[0] = (long)NOPATH;
                a[1] = IS("umount2") ? MNT_DETACH : 0;
        } else if (IS("reboot")) {
                a[0] = 0xdead; /* bad magic: EINVAL */
                a[1] = 0xbeef;
        } else if (IS("kexec_load")) {
                a[1] = 1000;   /* > KEXEC_SEGMENT_MAX */
                a[3] = 0x8000; /* unknown flag */
        } else if (IS("kexec_file_load")) {
                a[0] = a[1] = -1;
                a[4] = 0x40000000; /* unknown flag */
        } else if (IS("init_module")) {
                a[2] = (long)"";
        } else if (IS("finit_module")) {
                a[0] = -1;
                a[1] = (long)"";
        } else if (IS("delete_module")) {
                a[0] = (long)"airlock_probe_nonexistent";
                a[1] = O_NONBLOCK;
        } else if (IS("quotactl")) {
                a[1] = (long)NOPATH;
        } else if (IS("settimeofday")) {
                a[0] = (long)&bad_tv;
        } else if (IS("clock_settime")) {
                a[0] = CLOCK_REALTIME;
                a[1] = (long)&bad_ts;
        } else if (IS("iopl")) {
                a[0] = 4; /* > 3: EINVAL */
        } else if (IS("keyctl")) {
                a[0] = KEYCTL_GET_KEYRING_ID_OP;
                a[1] = KEY_SPEC_USER_KEYRING_ID;
        } else if (IS("bpf")) {
                a[0] = BPF_PROG_LOAD; /* empty attr: EINVAL */
        } else if (IS("userfaultfd")) {
                a[0] = UFFD_USER_MODE_ONLY_FLAG | 0x40000000;
        } else if (IS("fanotify_init")) {
                a[0] = (long)0x80000000u;
        } else if (IS("unshare")) {
                a[0] = CLONE_IO; /* not an unshare flag: EINVAL */
        } else if (IS("syslog")) {
                a[0] = 10; /* SYSLOG_ACTION_SIZE_BUFFER: read-only */
        } else if (IS("ptrace")) {
                a[0] = PTRACE_PEEKDATA; /* pid 0: ESRCH; never TRACEME or ATTACH */
        } else if (IS("process_vm_readv") || IS("process_vm_writev")) {
                a[5] = 1; /* flags must be 0: EINVAL */
        } else if (IS("sethostname") || IS("setdomainname")) {
                a[1] = 1000; /* > __NEW_UTS_LEN: EINVAL */
        } else if (IS("memfd_secret")) {
                a[0] = 0xffff;
        } else if (IS("vhangup")) {
                return SC_SETSID; /* no controlling terminal left to hang up */
        } else if (IS("io_uring_enter") || IS("io_uring_register") || IS("open_by_handle_at") ||
                   IS("fanotify_mark") || IS("setns") || IS("pidfd_getfd") ||
                   IS("process_madvise") || IS("fsconfig") || IS("fsmount") ||
                   IS("mount_setattr") || IS("quotactl_fd")) {
                a[0] = -1;
        }
        return 0;
#undef IS
}

/* ---- small file helpers ---------------------------------------------------- */

/* Reads up to n-1 bytes; returns the count or -errno. */
ssize_t read_file(const char *path, char *buf, size_t n)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        size_t got = 0;

        if (fd < 0)
                return -errno;
        while (got + 1 < n) {
                ssize_t r = read(fd, buf + got, n - 1 - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0) {
                        int e = errno;
                        close(fd);
                        return -e;
                }
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        close(fd);
        buf[got] = '\0';
        return (ssize_t)got;
}

bool status_field(const char *key, char *out, size_t n)
{
        static char st[8192];
        size_t klen = strlen(key);

        if (read_file("/proc/self/status", st, sizeof(st)) <= 0)
                return false;
        for (char *line = strtok(st, "\n"); line; line = strtok(NULL, "\n")) {
                if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
                        line += klen + 1;
                        line += strspn(line, " \t");
                        snprintf(out, n, "%s", line);
                        return true;
                }
        }
        return false;
}

bool status_hex(const char *key, unsigned long long *v)
{
        char buf[64];

        if (!status_field(key, buf, sizeof(buf)))
                return false;
        *v = strtoull(buf, NULL, 16);
        return true;
}

static bool is_null_device(int fd)
{
        struct stat st;

        return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

/* Opens for writing and never writes. ok when the open fails with an allowed
 * errno, or when the file is masked by the null device (writes go nowhere). */
static void expect_no_write(const char *id, const char *path, const int *allowed)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        char got[96];

        if (fd < 0) {
                snprintf(got, sizeof(got), "got %s", ename(errno));
                tap(errno_in(errno, allowed), id, got, "%s cannot be opened for writing", path);
                return;
        }
        bool masked = is_null_device(fd);
        close(fd);
        tap(masked, id, "opened for writing; nothing written", "%s cannot be opened for writing",
            path);
        if (masked)
                printf("# %s is masked by the null device\n", path);
}

/* ---- SEC-01 posture ---------------------------------------------------------- */

static void check_caps(const char *id)
{
        static const char *const zero_sets[] = { "CapInh", "CapPrm", "CapEff", "CapAmb" };
        /* SYS_ADMIN NET_ADMIN SYS_PTRACE SYS_MODULE MKNOD NET_RAW */
        static const int forbidden[] = { 21, 12, 19, 16, 27, 13 };
        unsigned long long v = 0, bnd = 0;
        char got[96];

        for (size_t i = 0; i < ARRAY_LEN(zero_sets); i++) {
                bool ok = status_hex(zero_sets[i], &v);
                snprintf(got, sizeof(got), "%s %016llx", zero_sets[i], ok ? v : ~0ull);
                tap(ok && v == 0, id, got, "%s is 0", zero_sets[i]);
        }
        bool have = status_hex("CapBnd", &bnd);
        snprintf(got, sizeof(got), "CapBnd %016llx", have ? bnd : ~0ull);
        if (expect == PROFILE_STRICT) {
                tap(have && bnd == 0, id, got, "CapBnd is 0 (strict)");
        } else {
                bool ok = have && bnd != 0;
                for (size_t i = 0; i < ARRAY_LEN(forbidden); i++)
                        ok = ok && !(bnd & (1ull << forbidden[i]));
                tap(ok, id, got, "CapBnd is non-empty without SYS_ADMIN, NET_ADMIN, SYS_PTRACE, "
                                 "SYS_MODULE, MKNOD, NET_RAW (default)");
        }
}

static void check_status_flags(const char *id)
{
        char nnp[32] = "", sc[32] = "", nf[32] = "", got[96];
        const char *want_nnp = expect == PROFILE_STRICT ? "1" : "0";

        status_field("NoNewPrivs", nnp, sizeof(nnp));
        status_field("Seccomp", sc, sizeof(sc));
        status_field("Seccomp_filters", nf, sizeof(nf));
        snprintf(got, sizeof(got), "NoNewPrivs %s", nnp);
        tap(strcmp(nnp, want_nnp) == 0, id, got, "NoNewPrivs is %s", want_nnp);
        snprintf(got, sizeof(got), "Seccomp %s", sc);
        tap(strcmp(sc, "2") == 0, id, got, "Seccomp is 2 (filter mode)");
        snprintf(got, sizeof(got), "Seccomp_filters %s", nf);
        tap(atoi(nf) >= 1, id, got, "Seccomp_filters is at least 1");
}

static void check_id_maps(const char *id)
{
        static const char *const maps[] = { "/proc/self/uid_map", "/proc/self/gid_map" };
        char buf[256], got[160];

        for (size_t i = 0; i < ARRAY_LEN(maps); i++) {
                unsigned long inside = 1, outside = 0, len = ~0ul;
                int lines = 0;
                if (read_file(maps[i], buf, sizeof(buf)) > 0) {
                        for (char *c = buf; *c; c++)
                                lines += *c == '\n';
                        sscanf(buf, "%lu %lu %lu", &inside, &outside, &len);
                }
                snprintf(got, sizeof(got), "%lu %lu %lu, %d line(s)", inside, outside, len, lines);
                tap(lines == 1 && inside == 0 && outside != 0 && len <= 65536, id, got,
                    "%s maps 0 to a non-zero host id, at most 65536 ids", maps[i]);
        }
        if (expect == PROFILE_STRICT) {
                ssize_t n = read_file("/proc/self/setgroups", buf, sizeof(buf));
                buf[strcspn(buf, "\n")] = '\0';
                tap(n > 0 && strncmp(buf, "deny", 4) == 0, id, n > 0 ? buf : "unreadable",
                    "/proc/self/setgroups is deny (strict)");
        } else {
                tap_skip(id, "the default profile keeps setgroups for sudo",
                         "/proc/self/setgroups is deny");
        }
}

static void check_identity(const char *id)
{
        char buf[4096] = "", got[128] = "";
        bool ok = read_file("/proc/self/cgroup", buf, sizeof(buf)) > 0;
        struct utsname u;

        for (char *line = strtok(buf, "\n"); ok && line; line = strtok(NULL, "\n")) {
                size_t l = strlen(line);
                if (l < 2 || strcmp(line + l - 2, ":/") != 0) {
                        ok = false;
                        snprintf(got, sizeof(got), "line '%.100s'", line);
                }
        }
        tap(ok, id, got, "every /proc/self/cgroup line is the namespace root (:/)");
        ssize_t n = read_file("/proc/1/comm", buf, sizeof(buf));
        snprintf(got, sizeof(got), "%s", n < 0 ? ename((int)-n) : "empty");
        tap(n > 0, id, got, "/proc/1/comm is readable");
        bool have = uname(&u) == 0;
        snprintf(got, sizeof(got), "nodename '%s'", have ? u.nodename : "?");
        tap(have && strncmp(u.nodename, "sbx_", 4) == 0, id, got, "hostname starts with sbx_");
}

/* ---- SEC-04 table-driven: EPERM list and ENOSYS sweep ------------------------ */

static void check_eperm_table(const char *id)
{
        for (size_t i = 0; i < rt_sc_table_len; i++) {
                const struct rt_sc_entry *e = &rt_sc_table[i];
                if (e->action != RT_SC_EPERM)
                        continue;
                int nr = seccomp_syscall_resolve_name(e->name);
                if (nr < 0) {
                        tap_skip(id, "no syscall number known here", "%s denied with EPERM",
                                 e->name);
                        continue;
                }
                long a[6];
                unsigned opts = harmless_args(e->name, a);
                struct sc_res r = sc_run(nr, opts, a);
                expect_res(id, &r, ERRS(EPERM), "%s (%d) denied with EPERM", e->name, nr);
        }
}

/* Real x86_64 syscalls not in the table, safe to call with zero arguments:
 * never-implemented slots, the 337..423 hole, statmount..mseal. */
static bool sweep_safe(int nr)
{
        return nr > LAST_REAL_NR || (nr >= 181 && nr <= 185) || nr == 214 || nr == 215 ||
               nr == 236 || (nr >= 337 && nr <= 423) || (nr >= 457 && nr <= LAST_REAL_NR);
}

static void check_enosys_sweep(const char *id)
{
        static bool in_table[SWEEP_MAX];
        char got[512] = "";
        int tested = 0, bad = 0;
        size_t off = 0;

        for (size_t i = 0; i < rt_sc_table_len; i++) {
                int nr = seccomp_syscall_resolve_name(rt_sc_table[i].name);
                if (nr >= 0 && nr < SWEEP_MAX)
                        in_table[nr] = true;
        }
        for (int nr = 0; nr < SWEEP_MAX; nr++) {
                if (in_table[nr] || !sweep_safe(nr))
                        continue;
                struct sc_res r = SC(nr, 0);
                tested++;
                if (!r.hung && !r.sig && r.ret == -1 && r.err == ENOSYS)
                        continue;
                char one[64];
                if (bad++ < 8 && off < sizeof(got) - 64)
                        off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%d: %s",
                                                off ? ", " : "", nr, res_str(&r, one, sizeof(one)));
        }
        if (bad > 8)
                snprintf(got + off, sizeof(got) - off, ", ... %d in all", bad);
        tap(bad == 0, id, got, "%d syscall numbers outside the table return ENOSYS", tested);
        struct sc_res r = SC(SYS_clone3, 0, 0);
        expect_res(id, &r, ERRS(ENOSYS), "clone3 returns ENOSYS");
}

/* ---- SEC-05 argument filters ------------------------------------------------- */

static const struct {
        unsigned long flag;
        const char *name;
} ns_flags[] = {
        { CLONE_NEWUSER, "CLONE_NEWUSER" },     { CLONE_NEWNS, "CLONE_NEWNS" },
        { CLONE_NEWNET, "CLONE_NEWNET" },       { CLONE_NEWPID, "CLONE_NEWPID" },
        { CLONE_NEWIPC, "CLONE_NEWIPC" },       { CLONE_NEWUTS, "CLONE_NEWUTS" },
        { CLONE_NEWCGROUP, "CLONE_NEWCGROUP" }, { CLONE_NEWTIME, "CLONE_NEWTIME" },
};

static void check_namespaces(const char *id)
{
        for (size_t i = 0; i < ARRAY_LEN(ns_flags); i++) {
                struct sc_res r = SC(SYS_unshare, (long)ns_flags[i].flag);
                expect_res(id, &r, ERRS(EPERM), "unshare(%s) denied with EPERM", ns_flags[i].name);
        }
        for (size_t i = 0; i < ARRAY_LEN(ns_flags); i++) {
                struct sc_res r = clone_forklike(ns_flags[i].flag);
                expect_res(id, &r, ERRS(EPERM), "clone(%s) denied with EPERM", ns_flags[i].name);
        }
}

static void check_ioctl_personality(const char *id)
{
        /* fd -1: if the filter let these through the kernel would say EBADF;
         * nothing is ever pushed into a terminal. */
        static const struct {
                unsigned long cmd;
                const char *name;
        } cmds[] = {
                { TIOCSTI, "TIOCSTI" },
                { (0x123UL << 32) | TIOCSTI, "(0x123<<32)|TIOCSTI" },
                { TIOCLINUX, "TIOCLINUX" },
                { (0x123UL << 32) | TIOCLINUX, "(0x123<<32)|TIOCLINUX" },
        };
        for (size_t i = 0; i < ARRAY_LEN(cmds); i++) {
                struct sc_res r = SC(SYS_ioctl, -1, (long)cmds[i].cmd, 0);
                expect_res(id, &r, ERRS(EPERM), "ioctl(%s) denied with EPERM", cmds[i].name);
        }
        struct sc_res r = SC(SYS_personality, ADDR_NO_RANDOMIZE);
        expect_res(id, &r, ERRS(EPERM, ENOSYS), "personality(ADDR_NO_RANDOMIZE) denied");
        r = SC(SYS_personality, READ_IMPLIES_EXEC);
        expect_res(id, &r, ERRS(EPERM, ENOSYS), "personality(READ_IMPLIES_EXEC) denied");
}

/* Families are probed with a type the kernel rejects before it would autoload
 * a protocol module, so the host run loads nothing; the filter looks only at
 * the family. */
static void check_socket_families(const char *id)
{
        static const struct {
                int af;
                const char *name;
        } named[] = {
                { 38, "AF_ALG" }, { 17, "AF_PACKET" }, { 40, "AF_VSOCK" },
                { 15, "AF_KEY" }, { 33, "AF_RXRPC" },  { 44, "AF_XDP" },
        };
        char got[512] = "";
        size_t off = 0;
        int bad = 0, tested = 0;

        for (int d = 0; d <= 45; d++) {
                if (d == AF_UNIX || d == AF_INET || d == AF_INET6 || d == AF_NETLINK)
                        continue;
                struct sc_res r = SC(SYS_socket, d, BAD_SOCK_TYPE, 0);
                tested++;
                if (r.ret == -1 && !r.sig && !r.hung && errno_in(r.err, ERRS(EAFNOSUPPORT, EPERM)))
                        continue;
                char one[64];
                if (bad++ < 8 && off < sizeof(got) - 64)
                        off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%d: %s",
                                                off ? ", " : "", d, res_str(&r, one, sizeof(one)));
        }
        tap(bad == 0, id, got, "socket() denied for all %d other families in 0..45", tested);
        for (size_t i = 0; i < ARRAY_LEN(named); i++) {
                struct sc_res r = SC(SYS_socket, named[i].af, BAD_SOCK_TYPE, 0);
                expect_res(id, &r, ERRS(EAFNOSUPPORT, EPERM), "socket(%s) denied", named[i].name);
        }
        struct sc_res r = SC(SYS_socket, AF_INET, SOCK_RAW, IPPROTO_ICMP);
        expect_res(id, &r, ERRS(EPERM), "socket(AF_INET, SOCK_RAW) denied with EPERM");
        r = SC(SYS_socket, AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
        expect_res(id, &r, ERRS(EPERM), "socket(AF_INET6, SOCK_RAW) denied with EPERM");
        static const struct {
                int proto;
                const char *name;
        } nl[] = { { 6, "NETLINK_XFRM" }, { 12, "NETLINK_NETFILTER" },
                   { 15, "NETLINK_KOBJECT_UEVENT" }, { 9, "NETLINK_AUDIT" } };
        /* SOCK_STREAM: netlink refuses it (ESOCKTNOSUPPORT) before any autoload */
        for (size_t i = 0; i < ARRAY_LEN(nl); i++) {
                r = SC(SYS_socket, AF_NETLINK, SOCK_STREAM, nl[i].proto);
                expect_res(id, &r, ERRS(EPROTONOSUPPORT, EPERM, EAFNOSUPPORT),
                           "socket(AF_NETLINK, %s) denied", nl[i].name);
        }
}

static void *thread_probe(void *arg)
{
        long r = syscall(SYS_unshare, CLONE_IO);
        *(int *)arg = r == -1 ? errno : 0;
        return NULL;
}

static void check_positive_controls(const char *id)
{
        int status = -1, terr = -1;
        pthread_t th;

        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0)
                _exit(7);
        if (pid > 0)
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        tap(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 7, id,
            pid < 0 ? ename(errno) : "child did not exit 7", "fork() works");
        int e = pthread_create(&th, NULL, thread_probe, &terr);
        if (e == 0)
                pthread_join(th, NULL);
        tap(e == 0, id, ename(e), "pthread_create works (clone3 falls back to clone)");
        tap(e == 0 && terr == EPERM, "SEC-08", ename(terr),
            "a new thread is filtered too (unshare EPERM)");
        int fd = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        tap(fd >= 0, id, ename(errno), "socket(AF_INET, SOCK_STREAM) works");
        if (fd >= 0)
                close(fd);
}

/* ---- SEC-10, SEC-11 namespaces and mounts ------------------------------------ */

static void check_userns(const char *id)
{
        char buf[64] = "";
        struct sc_res r = SC(SYS_unshare, CLONE_NEWUSER);

        expect_res(id, &r, ERRS(EPERM), "unshare(CLONE_NEWUSER) denied with EPERM");
        ssize_t n = read_file("/proc/sys/user/max_user_namespaces", buf, sizeof(buf));
        buf[strcspn(buf, "\n")] = '\0';
        tap(n > 0 && strcmp(buf, "0") == 0, id, n > 0 ? buf : ename((int)-n),
            "/proc/sys/user/max_user_namespaces is 0");
}

static bool mountinfo_line(const char *mnt_point, const char *fstype, char *out, size_t n)
{
        static char mi[65536];
        char fields[8][256];

        if (read_file("/proc/self/mountinfo", mi, sizeof(mi)) <= 0)
                return false;
        for (char *line = strtok(mi, "\n"); line; line = strtok(NULL, "\n")) {
                if (sscanf(line, "%255s %255s %255s %255s %255s", fields[0], fields[1], fields[2],
                           fields[3], fields[4]) != 5)
                        continue;
                const char *dash = strstr(line, " - ");
                char type[64] = "";
                if (dash)
                        sscanf(dash + 3, "%63s", type);
                if ((mnt_point && strcmp(fields[4], mnt_point) == 0) ||
                    (fstype && strcmp(type, fstype) == 0)) {
                        snprintf(out, n, "%s", line);
                        return true;
                }
        }
        return false;
}

static void check_mounts(const char *id)
{
        struct sc_res r = SC(SYS_mount, (long)"tmpfs", (long)NOPATH, (long)"tmpfs", 0, 0);
        expect_res(id, &r, ERRS(EPERM), "mount(tmpfs) denied with EPERM");
        r = SC(SYS_mount, (long)"/", (long)NOPATH, 0, MS_BIND, 0);
        expect_res(id, &r, ERRS(EPERM), "bind mount denied with EPERM");
        r = SC(SYS_mount, 0, (long)NOPATH, 0, MS_SHARED | MS_REC, 0);
        expect_res(id, &r, ERRS(EPERM), "mount --make-rshared denied with EPERM");
        r = SC(SYS_umount2, (long)"/proc/kcore", MNT_DETACH);
        expect_res(id, &r, ERRS(EPERM), "umount2(/proc/kcore, MNT_DETACH) denied with EPERM");
        r = SC(SYS_umount2, (long)"/proc/keys", MNT_DETACH);
        expect_res(id, &r, ERRS(EPERM), "umount2(/proc/keys, MNT_DETACH) denied with EPERM");
        r = SC(SYS_fsopen, (long)"tmpfs", 0);
        expect_res(id, &r, ERRS(EPERM), "fsopen(tmpfs) denied with EPERM");
        char line[1024] = "";
        bool found = mountinfo_line("/", NULL, line, sizeof(line));
        const char *dash = found ? strstr(line, " - ") : NULL;
        const char *shared = found ? strstr(line, " shared:") : NULL;
        tap(found && (!shared || (dash && shared > dash)), id, found ? line : "no / in mountinfo",
            "the / mount has no shared: peer group");
}

/* ---- SEC-13 /proc --------------------------------------------------------------- */

static void check_proc_masked(const char *id)
{
        static const char *const files[] = { "/proc/kcore",       "/proc/keys",
                                             "/proc/timer_list",  "/proc/sched_debug",
                                             "/proc/kallsyms",    "/proc/interrupts",
                                             "/proc/latency_stats" };
        char buf[4096], got[96];

        for (size_t i = 0; i < ARRAY_LEN(files); i++) {
                ssize_t n = read_file(files[i], buf, sizeof(buf));
                if (n < 0)
                        snprintf(got, sizeof(got), "got %s", ename((int)-n));
                else
                        snprintf(got, sizeof(got), "read %zd bytes", n);
                tap(n == 0 || errno_in((int)-n, ERRS(EACCES, EPERM, ENOENT)), id, got,
                    "%s reads empty or is refused", files[i]);
        }
}

static void check_proc_readonly(const char *id)
{
        static const char *const files[] = {
                "/proc/sysrq-trigger",      "/proc/sys/kernel/core_pattern",
                "/proc/sys/kernel/modprobe", "/proc/sys/vm/drop_caches",
                "/proc/sys/fs/binfmt_misc/register",
        };
        for (size_t i = 0; i < ARRAY_LEN(files); i++)
                expect_no_write(id, files[i], ERRS(EROFS, EACCES, EPERM, ENOENT));
}

static void check_proc_pids(const char *id)
{
        char buf[256] = "", got[300];
        int count = 0;
        DIR *d = opendir("/proc");

        for (struct dirent *e; d && (e = readdir(d));)
                count += e->d_name[0] >= '1' && e->d_name[0] <= '9';
        if (d)
                closedir(d);
        ssize_t n = read_file("/proc/1/cmdline", buf, sizeof(buf));
        const char *base = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
        snprintf(got, sizeof(got), "pid 1 is '%s', %d pids visible", n > 0 ? buf : ename((int)-n),
                 count);
        tap(n > 0 && strcmp(base, "airlock-init") == 0, id, got,
            "pid 1 is airlock-init (only sandbox pids are visible)");
        printf("# %d pids visible in /proc\n", count);
}

/* ---- SEC-15 /sys ------------------------------------------------------------------ */

static int list_dir(const char *path, char *out, size_t n, int *count)
{
        DIR *d = opendir(path);
        size_t off = 0;

        *count = 0;
        out[0] = '\0';
        if (!d)
                return -errno;
        for (struct dirent *e; (e = readdir(d));) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                        continue;
                (*count)++;
                if (off + strlen(e->d_name) + 2 < n)
                        off += (size_t)snprintf(out + off, n - off, "%s%s", off ? " " : "",
                                                e->d_name);
        }
        closedir(d);
        return 0;
}

static void check_sys(const char *id)
{
        static const char *const files[] = { "/sys/kernel/uevent_helper",
                                             "/sys/kernel/mm/ksm/run",
                                             "/sys/fs/cgroup/cgroup.procs",
                                             "/sys/fs/cgroup/memory/cgroup.procs",
                                             "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                             "/sys/fs/cgroup/memory/release_agent",
                                             "/sys/fs/cgroup/pids/pids.max" };
        char list[512], got[560];
        int count;

        for (size_t i = 0; i < ARRAY_LEN(files); i++)
                expect_no_write(id, files[i], ERRS(EROFS, EACCES, EPERM, ENOENT));
        int e = list_dir("/sys/firmware", list, sizeof(list), &count);
        snprintf(got, sizeof(got), "%d entries: %s", count, list);
        tap(e == -ENOENT || (e == 0 && count == 0), id, got, "/sys/firmware is empty or absent");
        e = list_dir("/sys/class/net", list, sizeof(list), &count);
        snprintf(got, sizeof(got), "%s", e ? ename(-e) : list);
        tap(e == 0 && strcmp(list, "lo") == 0, id, got, "/sys/class/net lists only lo");
}

/* ---- SEC-16 /dev ------------------------------------------------------------------ */

static void check_dev_list(const char *id)
{
        static const char *const allowed[] = { "null",  "zero", "full", "random", "urandom",
                                               "tty",   "ptmx", "pts",  "shm",    "fd",
                                               "stdin", "stdout", "stderr",
                                               ".airlock" /* RT_LEND_DIR: airlockd's mount point */ };
        char extra[512] = "";
        size_t off = 0;
        DIR *d = opendir("/dev");

        for (struct dirent *e; d && (e = readdir(d));) {
                bool ok = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
                for (size_t i = 0; !ok && i < ARRAY_LEN(allowed); i++)
                        ok = strcmp(e->d_name, allowed[i]) == 0;
                if (!ok && off + strlen(e->d_name) + 2 < sizeof(extra))
                        off += (size_t)snprintf(extra + off, sizeof(extra) - off, "%s%s",
                                                off ? " " : "extra: ", e->d_name);
                else if (!ok)
                        off = sizeof(extra);
        }
        if (d)
                closedir(d);
        tap(d && extra[0] == '\0', id, d ? extra : "cannot list /dev",
            "/dev holds only the minimal set");
}

static void check_dev_nodes(const char *id)
{
        static const char *const nodes[] = { "/dev/mem",  "/dev/kmem", "/dev/port",  "/dev/kmsg",
                                             "/dev/sda",  "/dev/vda",  "/dev/kvm",   "/dev/net/tun",
                                             "/dev/fuse", "/dev/userfaultfd", "/dev/console" };
        char got[96], dir[] = "/tmp/airlock-probe-XXXXXX", node[64];

        for (size_t i = 0; i < ARRAY_LEN(nodes); i++) {
                int fd = open(nodes[i], O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
                snprintf(got, sizeof(got), fd >= 0 ? "opened" : "got %s", ename(errno));
                tap(fd < 0 && errno_in(errno, ERRS(ENOENT, EPERM, EACCES)), id, got,
                    "%s cannot be opened", nodes[i]);
                if (fd >= 0)
                        close(fd);
        }
        /* A null-device node in a private directory: even if it is created it
         * points nowhere dangerous, and it is removed at once. */
        if (!mkdtemp(dir)) {
                tap(false, id, ename(errno), "mknod of a character device denied");
        } else {
                snprintf(node, sizeof(node), "%s/x", dir);
                long r = syscall(SYS_mknodat, AT_FDCWD, node, S_IFCHR | 0600, makedev(1, 3));
                int e = r == -1 ? errno : 0;
                snprintf(got, sizeof(got), r == 0 ? "node created" : "got %s", ename(e));
                tap(r == -1 && errno_in(e, ERRS(EPERM, EACCES)), id, got,
                    "mknod of a character device denied (EPERM or Landlock EACCES)");
                unlink(node);
                rmdir(dir);
        }
        char line[1024];
        bool found = mountinfo_line(NULL, "devpts", line, sizeof(line));
        char opts[256] = "";
        if (found)
                sscanf(line, "%*s %*s %*s %*s %*s %255s", opts);
        tap(found && strstr(opts, "nosuid") && strstr(opts, "noexec"), id,
            found ? opts : "no devpts mount", "devpts is mounted nosuid,noexec");
}

/* ---- SEC-07, 17, 18, 19 kernel interfaces -------------------------------------------- */

static void check_modules(const char *id)
{
        struct sc_res r = SC(SYS_init_module, 0, 0, (long)"");
        expect_res(id, &r, ERRS(EPERM), "init_module(NULL, 0) denied with EPERM");
        r = SC(SYS_finit_module, -1, (long)"", 0);
        expect_res(id, &r, ERRS(EPERM), "finit_module(-1) denied with EPERM");
        r = SC(SYS_fsopen, (long)"airlockprobefs", 0);
        expect_res(id, &r, ERRS(EPERM), "fsopen of an unknown filesystem type denied with EPERM");
}

static void check_kernel_objects(const char *id)
{
        static const struct bpf_insn prog[] = {
                { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
                { .code = BPF_JMP | BPF_EXIT },
        };
        union bpf_attr attr = { 0 };
        struct perf_event_attr pe = { 0 };

        struct sc_res r = SC(SYS_keyctl, KEYCTL_GET_KEYRING_ID_OP, KEY_SPEC_USER_KEYRING_ID, 0);
        expect_res(id, &r, ERRS(EPERM), "keyctl(GET_KEYRING_ID) denied with EPERM");
        attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
        attr.insn_cnt = ARRAY_LEN(prog);
        attr.insns = (unsigned long)prog;
        attr.license = (unsigned long)"GPL";
        r = SC(SYS_bpf, BPF_PROG_LOAD, (long)&attr, sizeof(attr));
        expect_res(id, &r, ERRS(EPERM), "bpf(BPF_PROG_LOAD, SOCKET_FILTER) denied with EPERM");
        pe.type = PERF_TYPE_SOFTWARE;
        pe.size = sizeof(pe);
        pe.config = PERF_COUNT_SW_CPU_CLOCK;
        pe.disabled = 1;
        r = SC(SYS_perf_event_open, (long)&pe, 0, -1, -1, 0);
        expect_res(id, &r, ERRS(EPERM), "perf_event_open(SW_CPU_CLOCK, self) denied with EPERM");
        r = SC(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
        expect_res(id, &r, ERRS(EPERM), "userfaultfd denied with EPERM");
        int fd = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
        tap(fd < 0 && errno == ENOENT, id, fd >= 0 ? "opened" : ename(errno),
            "/dev/userfaultfd is absent");
        if (fd >= 0)
                close(fd);
}

static void check_io_uring(const char *id)
{
        long params[15] = { 0 }; /* struct io_uring_params is 120 bytes */
        struct sc_res r = SC(SYS_io_uring_setup, 8, (long)params);

        expect_res(id, &r, ERRS(EPERM), "io_uring_setup denied with EPERM");
}

static void check_shocker(const char *id)
{
        struct {
                unsigned int bytes;
                int type;
                unsigned char f[128];
        } h = { .bytes = 128 };
        int mount_id, root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        /* Use the real handle of / if the filesystem gives one, else the
         * Shocker guess: ext4 inode 2, generation 0. */
        if (syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &h, &mount_id, 0) < 0) {
                h.bytes = 8;
                h.type = 1; /* FILEID_INO32_GEN */
                memset(h.f, 0, sizeof(h.f));
                h.f[0] = 2;
        }
        struct sc_res r = SC(SYS_open_by_handle_at, root, (long)&h, O_RDONLY);
        expect_res(id, &r, ERRS(EPERM), "open_by_handle_at denied with EPERM");
        if (root >= 0)
                close(root);
}

/* ---- SEC-23 fds and cwd ------------------------------------------------------------- */

static bool bad_target(const char *t)
{
        return strncmp(t, STATE_DIR, strlen(STATE_DIR)) == 0 || strncmp(t, "/proc/", 6) == 0 ||
               strncmp(t, "(unreachable)", 13) == 0;
}

/* openat(fd, "..") 64 times must end at our own root */
static bool climb_stays_in_root(int fd)
{
        struct stat top, root;
        int cur = dup(fd);

        for (int i = 0; cur >= 0 && i < 64; i++) {
                int up = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                close(cur);
                cur = up;
        }
        bool ok = cur >= 0 && fstat(cur, &top) == 0 && stat("/", &root) == 0 &&
                  top.st_ino == root.st_ino && top.st_dev == root.st_dev;
        if (cur >= 0)
                close(cur);
        return ok;
}

static void scan_fds(const char *id, const char *dirpath, bool own)
{
        char got[512] = "", path[300], target[256];
        size_t off = 0;
        int bad = 0, count = 0;
        DIR *d = opendir(dirpath);

        if (!d) {
                /* another process's fds being out of reach is as good as clean */
                bool ok = !own && (errno == EACCES || errno == EPERM);
                if (ok)
                        printf("# %s: %s\n", dirpath, ename(errno));
                tap(ok, id, ename(errno), "%s: no entry leaked from the host", dirpath);
                return;
        }
        for (struct dirent *e; (e = readdir(d));) {
                if (e->d_name[0] == '.')
                        continue;
                int fd = atoi(e->d_name);
                if (own && fd == dirfd(d))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dirpath, e->d_name);
                ssize_t n = readlink(path, target, sizeof(target) - 1);
                target[n > 0 ? n : 0] = '\0';
                count++;
                struct stat st;
                bool leak = bad_target(target) || (own && fd > 2);
                if (own && !leak && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
                        leak = !climb_stays_in_root(fd);
                if (leak && bad++ < 6 && off + 80 < sizeof(got))
                        off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s -> %.60s",
                                                off ? ", " : "", e->d_name, target);
        }
        closedir(d);
        printf("# %s: %d entries\n", dirpath, count);
        tap(bad == 0, id, got, "%s: no entry leaked from the host", dirpath);
}

static void check_fds(const char *id)
{
        char cwd[4096] = "";

        scan_fds(id, "/proc/self/fd", true);
        scan_fds(id, "/proc/1/fd", false);
        long r = syscall(SYS_getcwd, cwd, sizeof(cwd));
        tap(r > 0 && strncmp(cwd, "(unreachable)", 13) != 0, id, r > 0 ? cwd : ename(errno),
            "getcwd() is inside the root");
        int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        tap(fd >= 0 && climb_stays_in_root(fd), id, cwd, "climbing .. from the cwd stops at /");
        if (fd >= 0)
                close(fd);
}

/* ---- SEC-25 other processes --------------------------------------------------------- */

static void check_process_isolation(const char *id)
{
        char before[256] = "", after[256] = "", got[300];
        struct iovec local, remote;
        long word = 0;

        read_file("/proc/1/cmdline", before, sizeof(before));
        /* The kernel never delivers SIGKILL to a pid namespace's init from
         * inside that namespace, so this is safe everywhere. */
        long kr = syscall(SYS_kill, 1, SIGKILL);
        int ke = kr == -1 ? errno : 0;
        usleep(100 * 1000);
        ssize_t n = read_file("/proc/1/cmdline", after, sizeof(after));
        snprintf(got, sizeof(got), "kill %s, pid 1 now '%s'", kr == 0 ? "returned 0" : ename(ke),
                 n > 0 ? after : "gone");
        tap((kr == 0 || ke == EPERM) && n > 0 && strcmp(before, after) == 0, id, got,
            "kill(1, SIGKILL) leaves init alive");

        /* PTRACE_ATTACH on a child of ours, never on pid 1: attaching would stop it. */
        fflush(NULL);
        pid_t child = fork();
        if (child == 0) {
                child_deadline();
                pause();
                _exit(0);
        }
        struct sc_res r = { .ret = -1, .err = errno };
        if (child > 0) {
                r.ret = syscall(SYS_ptrace, PTRACE_ATTACH, child, 0, 0);
                r.err = r.ret == -1 ? errno : 0;
                kill(child, SIGKILL);
                while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        expect_res(id, &r, ERRS(EPERM), "ptrace(PTRACE_ATTACH) denied with EPERM");
        r = SC(SYS_ptrace, PTRACE_PEEKDATA, 1, 0, 0);
        expect_res(id, &r, ERRS(EPERM), "ptrace(PTRACE_PEEKDATA, 1) denied with EPERM");
        local = (struct iovec){ &word, sizeof(word) };
        remote = (struct iovec){ &word, sizeof(word) };
        r = SC(SYS_process_vm_readv, 1, (long)&local, 1, (long)&remote, 1, 0);
        expect_res(id, &r, ERRS(EPERM), "process_vm_readv(1) denied with EPERM");
        long pidfd = syscall(SYS_pidfd_open, 1, 0);
        printf("# pidfd_open(1): %s\n", pidfd >= 0 ? "allowed" : ename(errno));
        r = SC(SYS_pidfd_getfd, pidfd, 0, 0);
        expect_res(id, &r, ERRS(EPERM), "pidfd_getfd on pid 1 denied with EPERM");
        if (pidfd >= 0)
                close((int)pidfd);
}

/* ---- SEC-26, 27 network ------------------------------------------------------------- */

static void set_addr(struct sockaddr_storage *ss, socklen_t *len, int af, const char *ip, int port)
{
        memset(ss, 0, sizeof(*ss));
        if (af == AF_INET) {
                struct sockaddr_in *s = (struct sockaddr_in *)ss;
                s->sin_family = AF_INET;
                s->sin_port = htons((uint16_t)port);
                inet_pton(AF_INET, ip, &s->sin_addr);
                *len = sizeof(*s);
        } else {
                struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
                s->sin6_family = AF_INET6;
                s->sin6_port = htons((uint16_t)port);
                inet_pton(AF_INET6, ip, &s->sin6_addr);
                *len = sizeof(*s);
        }
}

/* Returns 0 when connected, else the errno (ETIMEDOUT after the poll timeout). */
int connect_to(int af, int type, const char *ip, int port)
{
        struct sockaddr_storage ss;
        socklen_t len, elen = sizeof(int);
        int e = 0, fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return errno;
        set_addr(&ss, &len, af, ip, port);
        if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
                e = errno;
                if (e == EINPROGRESS) {
                        struct pollfd p = { .fd = fd, .events = POLLOUT };
                        if (poll(&p, 1, CONNECT_TIMEOUT_MS) <= 0)
                                e = ETIMEDOUT;
                        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
                                e = errno;
                }
        }
        close(fd);
        return e;
}

/* No packet may leave the machine: a UDP connect() only looks up the route,
 * and the sendto and the TCP SYN are tried only when there is none. */
/* UDP to ip:port: the door lets only port 53 through (to its own DNS
 * socket, shut in `airlockd run`); everything else is rejected on send. */
static int udp_probe(int af, const char *ip, int port)
{
        struct sockaddr_storage ss;
        socklen_t len;
        char buf[16];
        int e = 0, fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return errno;
        set_addr(&ss, &len, af, ip, port);
        if (connect(fd, (struct sockaddr *)&ss, len) < 0 || send(fd, "x", 1, 0) < 0) {
                e = errno;
        } else {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                /* an ICMP error arrives as the socket's error */
                if (poll(&p, 1, 1000) == 1 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
                        e = errno;
        }
        close(fd);
        return e;
}

/* SEC-26: no packet leaves except through the door. In `airlockd run` the
 * door is shut: TCP is refused at once, DNS gets "port unreachable", any
 * other UDP is rejected by the sandbox's own nftables before it is sent. */
static void check_egress(const char *id)
{
        static const struct {
                int af;
                const char *ip;
        } dst[] = { { AF_INET, "198.51.100.7" }, { AF_INET6, "2001:db8::7" } };
        static const int udp_ports[] = { 53, 443, 123 };
        const int *ok_errs = ERRS(ENETUNREACH, EHOSTUNREACH, EPERM, EACCES, ECONNREFUSED,
                                  EADDRNOTAVAIL, EAFNOSUPPORT);
        char got[128];

        for (size_t i = 0; i < ARRAY_LEN(dst); i++) {
                for (size_t k = 0; k < ARRAY_LEN(udp_ports); k++) {
                        int e = udp_probe(dst[i].af, dst[i].ip, udp_ports[k]);
                        snprintf(got, sizeof(got), e ? "got %s" : "sent, no error", ename(e));
                        tap(e && errno_in(e, ok_errs), id, got, "UDP to %s:%d is refused", dst[i].ip,
                            udp_ports[k]);
                }
                int e = connect_to(dst[i].af, SOCK_STREAM, dst[i].ip, 443);
                snprintf(got, sizeof(got), e ? "got %s" : "connected", ename(e));
                tap(e && errno_in(e, ok_errs), id, got, "TCP to %s:443 fails fast", dst[i].ip);
        }
}

static void check_loopback(const char *id)
{
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int e = 0, port = 0, lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0 ||
            getsockname(lfd, (struct sockaddr *)&sa, &len) < 0)
                e = errno;
        else
                port = ntohs(sa.sin_port);
        if (!e)
                e = connect_to(AF_INET, SOCK_STREAM, "127.0.0.1", port);
        if (lfd >= 0)
                close(lfd);
        tap(e == 0, id, ename(e), "own loopback works (listen and connect on 127.0.0.1:%d)", port);

        const char *canary = getenv("AIRLOCK_HOST_CANARY_PORT");
        if (!canary || atoi(canary) <= 0 || atoi(canary) > 65535) {
                tap_skip(id, "AIRLOCK_HOST_CANARY_PORT not set",
                         "host loopback canary is unreachable");
                return;
        }
        port = atoi(canary);
        e = connect_to(AF_INET, SOCK_STREAM, "127.0.0.1", port);
        tap(e == ECONNREFUSED, id, e ? ename(e) : "connected",
            "host canary 127.0.0.1:%d is not reachable (ECONNREFUSED)", port);
        e = connect_to(AF_INET6, SOCK_STREAM, "::1", port);
        tap(errno_in(e, ERRS(ECONNREFUSED, EADDRNOTAVAIL, ENETUNREACH, EAFNOSUPPORT)), id,
            e ? ename(e) : "connected", "host canary [::1]:%d is not reachable", port);
}

/* ---- SEC-53 limits, SEC-55/62 residue ------------------------------------------------ */

static void check_nofile(const char *id)
{
        struct rlimit rl;
        char got[128];
        int base = open("/dev/null", O_RDONLY | O_CLOEXEC), maxfd = -1, e = 0, n = 0;
        int *fds = calloc(NOFILE_MAX + 16, sizeof(int));

        getrlimit(RLIMIT_NOFILE, &rl);
        snprintf(got, sizeof(got), "soft %llu, hard %llu", (unsigned long long)rl.rlim_cur,
                 (unsigned long long)rl.rlim_max);
        tap(rl.rlim_cur <= NOFILE_MAX, id, got, "RLIMIT_NOFILE soft limit is at most %d",
            NOFILE_MAX);
        while (base >= 0 && fds && n < NOFILE_MAX + 16) {
                int fd = fcntl(base, F_DUPFD_CLOEXEC, 0);
                if (fd < 0) {
                        e = errno;
                        break;
                }
                fds[n++] = fd;
                maxfd = fd > maxfd ? fd : maxfd;
        }
        for (int i = 0; i < n; i++)
                close(fds[i]);
        free(fds);
        if (base >= 0)
                close(base);
        snprintf(got, sizeof(got), "%s after %d opens, highest fd %d", e ? ename(e) : "no error", n,
                 maxfd);
        tap(e == EMFILE && (rlim_t)maxfd + 1 == rl.rlim_cur, id, got,
            "opening files stops with EMFILE at the limit");
}

static void expect_absent(const char *id, const char *path, const char *what)
{
        struct stat st;
        int e = lstat(path, &st) == 0 ? 0 : errno;

        tap(errno_in(e, ERRS(ENOENT, ENOTDIR, EACCES)), id, e ? ename(e) : "it exists",
            "%s %s is not visible", what, path);
}

static void check_canaries(const char *id)
{
        const char *paths = getenv("AIRLOCK_CANARY_PATH");
        const char *seen = getenv("AIRLOCK_SEEN_CANARY");
        char buf[4096], path[300];

        expect_absent(id, STATE_DIR, "host state directory");
        if (!paths || !*paths) {
                tap_skip(id, "AIRLOCK_CANARY_PATH not set", "canary path is not visible");
        } else {
                snprintf(buf, sizeof(buf), "%s", paths);
                for (char *p = strtok(buf, ":"); p; p = strtok(NULL, ":"))
                        expect_absent(id, p, "canary");
        }
        if (!seen || !*seen || strchr(seen, '/')) {
                tap_skip(id, "AIRLOCK_SEEN_CANARY not set (or not a file name)",
                         "a previous sandbox's /tmp file is not visible");
                return;
        }
        snprintf(path, sizeof(path), "/tmp/%s", seen);
        expect_absent(id, path, "previous sandbox's file");
}

/* ---- main ---------------------------------------------------------------------- */

static const struct check checks[] = {
        { "SEC-01", check_caps },
        { "SEC-01", check_status_flags },
        { "SEC-01", check_id_maps },
        { "SEC-01", check_identity },
        { "SEC-02", check_landlock },
        { "SEC-03", check_environ },
        { "SEC-04", check_eperm_table },
        { "SEC-04", check_enosys_sweep },
        { "SEC-05", check_namespaces },
        { "SEC-05", check_ioctl_personality },
        { "SEC-05", check_socket_families },
        { "SEC-05", check_positive_controls },
        { "SEC-06", check_abi_confusion },
        { "SEC-07", check_io_uring },
        { "SEC-08", check_filter_inherited },
        { "SEC-09", check_setuid },
        { "SEC-10", check_userns },
        { "SEC-11", check_mounts },
        { "SEC-13", check_proc_masked },
        { "SEC-13", check_proc_readonly },
        { "SEC-13", check_proc_pids },
        { "SEC-15", check_sys },
        { "SEC-16", check_dev_list },
        { "SEC-16", check_dev_nodes },
        { "SEC-17", check_modules },
        { "SEC-18", check_kernel_objects },
        { "SEC-19", check_shocker },
        { "SEC-20", check_page_cache },
        { "SEC-21", check_tiocsti },
        { "SEC-22", check_info_leaks },
        { "SEC-23", check_fds },
        { "SEC-24", check_exe },
        { "SEC-25", check_process_isolation },
        { "SEC-26", check_egress },
        { "SEC-27", check_loopback },
        { "SEC-30", check_host_sockets },
        { "SEC-53", check_nofile },
        { "SEC-55", check_canaries },
        { "SEC-64", check_rules },
};

static void on_watchdog(int sig)
{
        static const char msg[] = "Bail out! sbxprobe watchdog expired\n";

        (void)sig;
        if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
                _exit(1);
        _exit(1);
}

static void usage(FILE *f)
{
        fprintf(f, "usage: sbxprobe [--expect-profile default|strict] [--only SEC-xx]\n"
                   "       sbxprobe --whoami | --reexec-check | --kernel-enosys\n"
                   "Checks the sandbox from inside and prints TAP; exit 0 when nothing failed.\n"
                   "--whoami prints euid, CapEff, NoNewPrivs and the uid map (SEC-09);\n"
                   "--reexec-check exits 0 when the filter holds after exec (SEC-08);\n"
                   "--kernel-enosys lists the allowed syscalls this kernel lacks (SEC-64).\n");
}

int main(int argc, char **argv)
{
        const char *only = NULL;

        for (int i = 1; i < argc; i++) {
                const char *v = NULL;
                if (strcmp(argv[i], "--whoami") == 0)
                        return whoami_main();
                if (strcmp(argv[i], "--reexec-check") == 0)
                        return reexec_check_main();
                if (strcmp(argv[i], "--kernel-enosys") == 0)
                        return kernel_enosys_main();
                if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
                        only = argv[++i];
                        continue;
                }
                if (strcmp(argv[i], "--expect-profile") == 0 && i + 1 < argc)
                        v = argv[++i];
                else if (strncmp(argv[i], "--expect-profile=", 17) == 0)
                        v = argv[i] + 17;
                else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        usage(stdout);
                        return 0;
                }
                if (v && strcmp(v, "default") == 0) {
                        expect = PROFILE_DEFAULT;
                } else if (v && strcmp(v, "strict") == 0) {
                        expect = PROFILE_STRICT;
                } else {
                        usage(stderr);
                        return 2;
                }
        }
        signal(SIGALRM, on_watchdog);
        signal(SIGPIPE, SIG_IGN);
        alarm(WATCHDOG_S);
        printf("# sbxprobe: expect-profile %s, uid %d, pid %d\n",
               expect == PROFILE_STRICT ? "strict" : "default", (int)getuid(), (int)getpid());
        for (size_t i = 0; i < ARRAY_LEN(checks); i++)
                if (!only || strcmp(only, checks[i].id) == 0)
                        checks[i].fn(checks[i].id);
        printf("1..%d\n# skipped: %d\n%d passed, %d failed\n", t_num, t_skip, t_pass, t_fail);
        return t_fail ? 1 : 0;
}
