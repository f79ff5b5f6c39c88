/* SPDX-License-Identifier: Apache-2.0 */
/* sbxprobe: the seccomp filter rule by rule (SEC-64), foreign ABIs (SEC-06),
 * the filter in threads, children, after exec and under a stacked filter
 * (SEC-08), and TIOCSTI/TIOCLINUX on a real terminal (SEC-21).
 *
 * SEC-64 walks rt_sc_table and the argument data of seccomp_table.c, the same
 * data that builds the filter: a rule added there is probed here without a
 * change to this file, and a conditional rule this file has no case for is a
 * failure, not a silent gap. Every call runs in a throwaway child with
 * arguments that make it fail harmlessly when the kernel gets to see it. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"
#include "runtime/seccomp.h"

#define X32_BIT 0x40000000L
#define I386_GETPID 20
#define I386_UNSHARE 310
#define I386_SOCKETCALL 102
#define X32_IOCTL 514
#define AF_MAX_FILTER 46 /* RT_SC_MAX_AF: the filter's "every other family" rule starts here */
#define BAD_SOCK_TYPE 15
#define HIGH (0x123L << 32)

/* ---- SEC-64 unconditional rules ------------------------------------------ */

/* Arguments for an allowed call: -1 everywhere makes nearly every syscall
 * fail at once (EBADF, EFAULT, EINVAL) once the kernel sees it. The
 * exceptions block, create something outside the child, or need a valid
 * operation to get past the kernel's own ENOSYS. */
static unsigned allowed_args(const char *name, long a[6])
{
#define IS(s) (strcmp(name, s) == 0)
        for (int i = 0; i < 6; i++)
                a[i] = -1;
        if (IS("pause"))
                return SC_SHORT;
        if (IS("fork") || IS("vfork"))
                return SC_FORKLIKE;
        if (IS("futex")) {
                a[0] = 0;
                a[1] = 1; /* FUTEX_WAKE on NULL: EFAULT or 0 */
        } else if (IS("msgget") || IS("semget") || IS("shmget")) {
                a[0] = 0x41504c4b; /* a key nobody has, without IPC_CREAT: ENOENT */
                a[1] = 0;
                a[2] = 0;
        }
        return 0;
#undef IS
}

static bool filter_answer(const struct sc_res *r, int err)
{
        return r->sig == SIGSYS || (!r->hung && r->ret == -1 && r->err == err);
}

/* Syscalls the kernel itself does not implement here (no shadow stacks, no
 * IA32 entry): the harness lists them by running --kernel-enosys on the host,
 * where no filter runs, and hands them in as AIRLOCK_KERNEL_ENOSYS. */
static bool kernel_enosys(int nr)
{
        const char *list = getenv("AIRLOCK_KERNEL_ENOSYS");
        char key[16];

        if (!list)
                return false;
        snprintf(key, sizeof(key), ",%d,", nr);
        char buf[1024];
        snprintf(buf, sizeof(buf), ",%s,", list);
        return strstr(buf, key) != NULL;
}

int kernel_enosys_main(void)
{
        const char *sep = "";

        for (size_t i = 0; i < rt_sc_table_len; i++) {
                int nr = seccomp_syscall_resolve_name(rt_sc_table[i].name);
                long a[6];
                if (nr < 0 || rt_sc_table[i].action != RT_SC_ALLOW)
                        continue;
                struct sc_res r = sc_run(nr, allowed_args(rt_sc_table[i].name, a), a);
                if (r.ret == -1 && r.err == ENOSYS && !r.sig) {
                        printf("%s%d", sep, nr);
                        sep = ",";
                }
        }
        printf("\n");
        return 0;
}

/* Each syscall has exactly one entry: an ALLOW that is also listed as EPERM
 * would be decided by whichever libseccomp keeps. */
static void check_one_rule_each(const char *id)
{
        char got[160] = "";
        size_t off = 0;
        int dup = 0;

        for (size_t i = 0; i < rt_sc_table_len; i++)
                for (size_t k = i + 1; k < rt_sc_table_len; k++)
                        if (strcmp(rt_sc_table[i].name, rt_sc_table[k].name) == 0 && dup++ < 4 &&
                            off + 40 < sizeof(got))
                                off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s",
                                                        off ? ", " : "", rt_sc_table[i].name);
        tap(dup == 0, id, got, "each of the %zu syscalls in the table has exactly one rule",
            rt_sc_table_len);
}

static void check_unconditional(const char *id)
{
        char got[96];

        check_one_rule_each(id);
        for (size_t i = 0; i < rt_sc_table_len; i++) {
                const struct rt_sc_entry *e = &rt_sc_table[i];
                int nr = seccomp_syscall_resolve_name(e->name);
                long a[6];

                if (nr < 0) {
                        if (e->action == RT_SC_ALLOW || e->action == RT_SC_ENOSYS)
                                tap_skip(id, "no syscall number known here", "rule %s", e->name);
                        continue;
                }
                if (e->action == RT_SC_ALLOW) {
                        if (kernel_enosys(nr)) {
                                tap_skip(id, "the kernel itself answers ENOSYS (unsandboxed too)",
                                         "allow %s (%d) reaches the kernel", e->name, nr);
                                continue;
                        }
                        /* the filter's answer for a syscall it does not list is ENOSYS;
                         * EPERM and the rest come from the kernel's own checks */
                        struct sc_res r = sc_run(nr, allowed_args(e->name, a), a);
                        tap(!filter_answer(&r, ENOSYS), id, res_str(&r, got, sizeof(got)),
                            "allow %s (%d) reaches the kernel", e->name, nr);
                } else if (e->action == RT_SC_ENOSYS) {
                        memset(a, 0, sizeof(a)); /* clone3(NULL, 0): EINVAL from the kernel */
                        struct sc_res r = sc_run(nr, 0, a);
                        expect_res(id, &r, ERRS(ENOSYS), "%s (%d) answers ENOSYS", e->name, nr);
                }
                /* RT_SC_EPERM: SEC-04 calls each with harmless arguments */
        }
}

/* ---- SEC-64 clone ------------------------------------------------------------- */

/* Raw clone without CLONE_VM is fork-like: a created child leaves at once. */
struct sc_res clone_forklike(unsigned long flags)
{
        struct sc_res r = { .ret = -1 };

        fflush(NULL);
        r.ret = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
        if (r.ret == 0)
                _exit(0);
        if (r.ret < 0)
                r.err = errno;
        else
                wait_child((pid_t)r.ret, NULL);
        return r;
}

static void check_clone_rules(const char *id)
{
        static const unsigned long ok_flags[] = { 0, CLONE_FILES, CLONE_FS, CLONE_SYSVSEM,
                                                  CLONE_PARENT_SETTID, HIGH };
        char got[96];

        for (size_t i = 0; i < ARRAY_LEN(ok_flags); i++) {
                struct sc_res r = clone_forklike(ok_flags[i]);
                tap(r.ret > 0, id, res_str(&r, got, sizeof(got)),
                    "clone(0x%lx|SIGCHLD) without namespace flags is allowed", ok_flags[i]);
        }
        for (size_t i = 0; i < rt_sc_ns_flags_len; i++) {
                const unsigned long f = rt_sc_ns_flags[i];
                const unsigned long mut[] = { f | CLONE_FILES, f | HIGH,
                                              f | CLONE_FS | CLONE_SYSVSEM };
                for (size_t k = 0; k < ARRAY_LEN(mut); k++) {
                        struct sc_res r = clone_forklike(mut[k]);
                        expect_res(id, &r, ERRS(EPERM), "clone(0x%lx) with namespace flag 0x%lx "
                                   "denied with EPERM", mut[k], f);
                }
        }
}

/* ---- SEC-64 socket ------------------------------------------------------------------ */

/* What the filter answers for socket(af, type, proto), 0 for "allowed":
 * the policy of add_socket_rules() in seccomp.c, written out again so that
 * a change to either shows. Families compare all 64 bits. */
static int socket_policy(long af, long type, long proto)
{
        long base = type & 0xf;

        if (af == AF_UNIX)
                return 0;
        if (af == AF_NETLINK)
                return proto == NETLINK_ROUTE ? 0 : EPROTONOSUPPORT;
        if (af == AF_INET || af == AF_INET6) {
                if (base == SOCK_STREAM || base == SOCK_DGRAM)
                        return 0;
                return base == SOCK_RAW ? EPERM : ENOSYS; /* no rule: the default */
        }
        return EAFNOSUPPORT;
}

static void socket_case(long af, long type, long proto, int *bad, char *got, size_t n,
                        size_t *off)
{
        int want = socket_policy(af, type, proto);
        struct sc_res r = SC(SYS_socket, af, type, proto);
        /* allowed: a socket, or the kernel's own refusal, never one of the
         * filter's answers */
        bool ok = want ? !r.sig && r.ret == -1 && r.err == want
                       : !r.sig && !(r.ret == -1 && errno_in(r.err, ERRS(ENOSYS, EPERM,
                                                                         EAFNOSUPPORT)));
        char one[64];

        if (ok)
                return;
        if ((*bad)++ < 6 && *off + 100 < n)
                *off += (size_t)snprintf(got + *off, n - *off, "%s(0x%lx,0x%lx,%ld): %s",
                                         *off ? ", " : "", af, type, proto,
                                         res_str(&r, one, sizeof(one)));
}

static void check_socket_rules(const char *id)
{
        static const long inet_types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET,
                                           SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                                           SOCK_RAW | SOCK_CLOEXEC, SOCK_STREAM | HIGH,
                                           SOCK_RAW | HIGH };
        static const long allowed_af[] = { AF_UNIX, AF_INET, AF_INET6, AF_NETLINK };
        char got[700] = "";
        size_t off = 0;
        int bad = 0, n = 0;

        /* Families that are allowed, with every type variant; IPPROTO 0, and
         * netlink ROUTE against each other protocol (SOCK_RAW, no autoload:
         * the protocols probed are built in or refused before a module load). */
        for (size_t i = 0; i < ARRAY_LEN(allowed_af); i++) {
                for (size_t t = 0; t < ARRAY_LEN(inet_types); t++, n++) {
                        long proto = allowed_af[i] == AF_NETLINK ? NETLINK_ROUTE : 0;
                        if (allowed_af[i] == AF_NETLINK && (inet_types[t] & 0xf) == SOCK_STREAM)
                                continue; /* netlink has no stream sockets */
                        socket_case(allowed_af[i], inet_types[t], proto, &bad, got,
                                    sizeof(got), &off);
                }
                /* the family with junk in its upper half is another family to the
                 * filter (64-bit compare), the same one to the kernel (int) */
                socket_case(allowed_af[i] | HIGH, BAD_SOCK_TYPE, 0, &bad, got, sizeof(got),
                            &off);
                n++;
        }
        static const long nl_protos[] = { NETLINK_ROUTE | HIGH, NETLINK_XFRM, NETLINK_AUDIT,
                                          NETLINK_NETFILTER, NETLINK_KOBJECT_UEVENT,
                                          NETLINK_SOCK_DIAG, NETLINK_GENERIC };
        for (size_t i = 0; i < ARRAY_LEN(nl_protos); i++, n++)
                socket_case(AF_NETLINK, SOCK_DGRAM, nl_protos[i], &bad, got, sizeof(got), &off);
        /* every other family, and past the end of the filter's range */
        for (long af = 0; af < AF_MAX_FILTER + 4; af++) {
                if (af == AF_UNIX || af == AF_INET || af == AF_INET6 || af == AF_NETLINK)
                        continue;
                socket_case(af, BAD_SOCK_TYPE, 0, &bad, got, sizeof(got), &off);
                n++;
        }
        tap(bad == 0, id, got, "socket(): %d family/type/protocol cases answer as the policy says",
            n);
}

/* ---- SEC-64 ioctl, personality, and the dispatcher ---------------------------------- */

static void check_ioctl_rules(const char *id)
{
        static const unsigned long denied[] = { TIOCSTI, TIOCLINUX };
        static const unsigned long ok_cmds[] = { FIONREAD, TCGETS, TIOCGWINSZ, FIONBIO,
                                                 TIOCSTI + 1, TIOCLINUX - 1 };
        static const unsigned long highs[] = { 0, 0x123UL << 32, 0xffffffffUL << 32 };
        char got[96];

        /* fd -1: an allowed command reaches the kernel and gets EBADF */
        for (size_t i = 0; i < ARRAY_LEN(ok_cmds); i++) {
                struct sc_res r = SC(SYS_ioctl, -1, (long)(ok_cmds[i] | highs[1]), 0);
                tap(r.ret == -1 && r.err == EBADF, id, res_str(&r, got, sizeof(got)),
                    "ioctl(-1, 0x%lx) reaches the kernel (EBADF)", ok_cmds[i] | highs[1]);
        }
        for (size_t i = 0; i < ARRAY_LEN(denied); i++) {
                for (size_t h = 0; h < ARRAY_LEN(highs); h++) {
                        unsigned long cmd = denied[i] | highs[h];
                        struct sc_res r = SC(SYS_ioctl, -1, (long)cmd, 0);
                        expect_res(id, &r, ERRS(EPERM), "ioctl(-1, 0x%lx) denied with EPERM", cmd);
                }
        }
}

static void check_personality_rules(const char *id)
{
        static const unsigned long bad_bits[] = { ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC,
                                                  ADDR_COMPAT_LAYOUT, MMAP_PAGE_ZERO,
                                                  0x123UL << 32 };
        char got[96];

        for (size_t i = 0; i < rt_sc_personality_ok_len; i++) {
                unsigned long v = rt_sc_personality_ok[i];
                struct sc_res r = SC(SYS_personality, (long)v);
                tap(r.ret != -1 && !r.sig, id, res_str(&r, got, sizeof(got)),
                    "personality(0x%lx) allowed", v);
                for (size_t k = 0; k < ARRAY_LEN(bad_bits); k++) {
                        if (v == 0xffffffff && bad_bits[k] <= 0xffffffffUL)
                                continue; /* already set in the query value */
                        r = SC(SYS_personality, (long)(v | bad_bits[k]));
                        expect_res(id, &r, ERRS(ENOSYS), "personality(0x%lx) denied (ENOSYS: "
                                   "no rule matches)", v | bad_bits[k]);
                }
        }
}

void check_rules(const char *id)
{
        static const struct {
                const char *name;
                void (*fn)(const char *id);
        } cond[] = {
                { "clone", check_clone_rules },
                { "socket", check_socket_rules },
                { "ioctl", check_ioctl_rules },
                { "personality", check_personality_rules },
        };

        check_unconditional(id);
        for (size_t i = 0; i < rt_sc_table_len; i++) {
                const struct rt_sc_entry *e = &rt_sc_table[i];
                size_t k = 0;

                if (e->action != RT_SC_CONDITIONAL)
                        continue;
                while (k < ARRAY_LEN(cond) && strcmp(cond[k].name, e->name) != 0)
                        k++;
                if (k == ARRAY_LEN(cond)) {
                        tap(false, id, "no case in probe_seccomp.c",
                            "conditional rule %s is probed", e->name);
                        continue;
                }
                cond[k].fn(id);
        }
}

/* ---- SEC-06 foreign ABIs -------------------------------------------------------------- */

/* socketcall's argument block must sit below 4 GiB: the probe is static and
 * not position-independent, so its data does. */
static unsigned int socketcall_args[3] = { 38 /* AF_ALG */, SOCK_SEQPACKET, 0 };

static long int80(long nr, long a1, long a2)
{
        long ret;

        __asm__ volatile("int $0x80" : "=a"(ret) : "0"(nr), "b"(a1), "c"(a2) : "memory");
        return ret;
}

static struct sc_res abi_run(int how, long nr, long a1, long a2)
{
        struct sc_res res = { .ret = -1 };
        int status = 0;

        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                child_deadline();
                long r = how == 32 ? int80(nr, a1, a2) : syscall(nr, a1, a2);
                if (how == 32 && r < 0 && r > -4096)
                        _exit(100 + (int)-r < 255 ? 100 + (int)-r : 255);
                if (how != 32 && r < 0)
                        _exit(100 + errno < 255 ? 100 + errno : 255);
                _exit(0);
        }
        if (pid < 0) {
                res.err = errno;
                return res;
        }
        wait_child(pid, &status);
        if (WIFSIGNALED(status)) {
                res.sig = WTERMSIG(status);
        } else if (WEXITSTATUS(status) == 0) {
                res.ret = 0;
        } else {
                res.err = WEXITSTATUS(status) - 100;
        }
        return res;
}

void check_abi_confusion(const char *id)
{
        static const struct {
                int how;
                long nr, a1, a2;
                const char *what;
        } cases[] = {
                { 32, I386_GETPID, 0, 0, "i386 getpid via int 0x80" },
                { 32, I386_UNSHARE, CLONE_NEWUSER, 0, "i386 unshare(CLONE_NEWUSER) via int 0x80" },
                { 32, I386_SOCKETCALL, 1 /* SYS_SOCKET */, 0, "i386 socketcall(SYS_SOCKET, AF_ALG)" },
                { 64, X32_BIT | SYS_getpid, 0, 0, "x32 getpid" },
                { 64, X32_BIT | SYS_unshare, CLONE_NEWUSER, 0, "x32 unshare(CLONE_NEWUSER)" },
                { 64, X32_BIT | SYS_socket, 38, SOCK_SEQPACKET, "x32 socket(AF_ALG)" },
                /* x32 has its own ioctl number, which the ioctl guard lets
                 * through to the main filter */
                { 64, X32_BIT | X32_IOCTL, -1, TIOCSTI, "x32 ioctl(TIOCSTI)" },
        };
        char got[96];

        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
                bool sockcall = cases[i].how == 32 && cases[i].nr == I386_SOCKETCALL;
                struct sc_res r = abi_run(cases[i].how, cases[i].nr, cases[i].a1,
                                          sockcall ? (long)(uintptr_t)socketcall_args
                                                   : cases[i].a2);
                if (cases[i].how == 32 && r.sig == SIGSEGV) {
                        tap_skip(id, "int 0x80 faults with SIGSEGV before any filter runs: no "
                                 "usable IA32 entry on this machine (unsandboxed too)",
                                 "%s killed with SIGSYS", cases[i].what);
                        continue;
                }
                res_str(&r, got, sizeof(got));
                tap(r.sig == SIGSYS, id, got, "%s killed with SIGSYS", cases[i].what);
        }
}

/* ---- SEC-08 threads, children, exec, stacked filters ---------------------------------- */

/* 0 when this task is filtered: Seccomp 2 in its status and unshare denied */
static int filtered_here(const char *status_path)
{
        char buf[4096];
        const char *sc;

        if (read_file(status_path, buf, sizeof(buf)) <= 0 || !(sc = strstr(buf, "\nSeccomp:")))
                return 1;
        if (atoi(sc + 9) != 2)
                return 2;
        if (syscall(SYS_unshare, CLONE_NEWUTS) != -1 || errno != EPERM)
                return 3;
        if (syscall(SYS_socket, AF_INET, SOCK_RAW, 1) != -1 || errno != EPERM)
                return 4;
        return 0;
}

static void *thread_check(void *arg)
{
        *(int *)arg = filtered_here("/proc/thread-self/status");
        return NULL;
}

/* Run fn in a throwaway child and return its exit code (or 200 + signal). */
static int in_child(int (*fn)(void))
{
        int status = 0;

        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                child_deadline();
                _exit(fn());
        }
        if (pid < 0)
                return 255;
        wait_child(pid, &status);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

static int threads_child(void)
{
        pthread_t th[4];
        int res[4] = { -1, -1, -1, -1 }, worst = 0;

        for (int i = 0; i < 4; i++)
                if (pthread_create(&th[i], NULL, thread_check, &res[i]) != 0)
                        return 10;
        for (int i = 0; i < 4; i++) {
                pthread_join(th[i], NULL);
                worst = res[i] > worst ? res[i] : worst;
        }
        return worst;
}

static int fork_child(void)
{
        return filtered_here("/proc/self/status");
}

static int exec_child(void)
{
        char *const argv[] = { "sbxprobe", "--reexec-check", NULL };
        char *const envp[] = { NULL };

        execve("/proc/self/exe", argv, envp);
        return 50;
}

int reexec_check_main(void)
{
        return filtered_here("/proc/self/status");
}

static int stacked_child(void)
{
        static const struct sock_filter allow_all[] = {
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { .len = 1, .filter = (struct sock_filter *)allow_all };

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return 20;
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                return 21;
        return filtered_here("/proc/self/status");
}

static int nnp_child(void)
{
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return 30;
        if (prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0) != -1 || errno != EINVAL)
                return 31;
        return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 32;
}

void check_filter_inherited(const char *id)
{
        static const struct {
                int (*fn)(void);
                const char *what;
        } cases[] = {
                { threads_child, "four threads each see Seccomp 2, unshare and raw sockets denied" },
                { fork_child, "a forked child is filtered" },
                { exec_child, "after execve of the probe itself the filter still holds" },
                { stacked_child, "a stacked allow-all filter does not lift a denial" },
                { nnp_child, "no_new_privs cannot be cleared once set (EINVAL)" },
        };
        char got[64];

        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
                int code = in_child(cases[i].fn);
                snprintf(got, sizeof(got), "child answered %d", code);
                tap(code == 0, id, got, "%s", cases[i].what);
        }
}

/* ---- SEC-21 TIOCSTI / TIOCLINUX on a real terminal ----------------------------------- */

void check_tiocsti(const char *id)
{
        char buf[64] = "", c = 'x', got[96];
        int unlock = 0, pty = -1;
        int ptm = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

        ssize_t n = read_file("/proc/sys/dev/tty/legacy_tiocsti", buf, sizeof(buf));
        buf[strcspn(buf, "\n")] = '\0';
        printf("# dev.tty.legacy_tiocsti = %s\n", n > 0 ? buf : ename((int)-n));
        if (ptm >= 0 && ioctl(ptm, TIOCSPTLCK, &unlock) == 0)
                pty = ioctl(ptm, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (pty < 0) {
                tap(false, id, ename(errno), "a pseudo-terminal can be opened for the check");
                if (ptm >= 0)
                        close(ptm);
                return;
        }
        /* on the terminal itself, not fd -1: without the filter, root (and
         * anyone with legacy_tiocsti) would push a byte into its input */
        long r = syscall(SYS_ioctl, pty, TIOCSTI, &c);
        int e = r == -1 ? errno : 0;
        ssize_t injected = read(pty, buf, sizeof(buf));
        snprintf(got, sizeof(got), "%s, %zd byte(s) readable after", r == 0 ? "returned 0" : ename(e),
                 injected);
        tap(r == -1 && e == EPERM && injected <= 0, id, got,
            "ioctl(pty, TIOCSTI) denied with EPERM, nothing injected");
        r = syscall(SYS_ioctl, pty, TIOCSTI | (0xffffffffUL << 32), &c);
        e = r == -1 ? errno : 0;
        tap(r == -1 && e == EPERM, id, r == 0 ? "returned 0" : ename(e),
            "ioctl(pty, TIOCSTI | junk upper half) denied with EPERM");
        /* TIOCLINUX subcode 0 is invalid: a pty would say EINVAL or ENOTTY */
        c = 0;
        r = syscall(SYS_ioctl, pty, TIOCLINUX, &c);
        e = r == -1 ? errno : 0;
        tap(r == -1 && e == EPERM, id, r == 0 ? "returned 0" : ename(e),
            "ioctl(pty, TIOCLINUX) denied with EPERM");
        close(pty);
        close(ptm);
}
