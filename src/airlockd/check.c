/* SPDX-License-Identifier: Apache-2.0 */
/* `airlockd check`: the host preflight (security catalogue SEC-66). The
 * host kernel is the boundary every sandbox shares, so the operator's part of
 * the security model is a set of kernel settings; this reads each one and
 * prints a line "ok|warn|info|skip NAME = VALUE  (why)". It changes nothing.
 * Exit status 1 when any line is a warning, so a deploy script can stop on
 * it; 0 when every setting is as docs/security-model.md asks. */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "airlockd.h"
#include "common/cleanup.h"
#include "runtime/cgroup.h"

enum want {
        WANT_EQ,
        WANT_GE
};

struct sysctl_rule {
        const char *name;
        enum want want;
        long value;
        const char *why; /* what a weaker value leaves open */
};

/* The catalogue's SEC-66 list; the values are the safe ones. */
static const struct sysctl_rule sysctl_rules[] = {
        { "kernel.unprivileged_bpf_disabled", WANT_GE, 1, "host users can load BPF programs" },
        { "kernel.perf_event_paranoid", WANT_GE, 2, "host users can profile the kernel" },
        { "vm.unprivileged_userfaultfd", WANT_EQ, 0, "userfaultfd widens kernel race windows" },
        { "kernel.io_uring_disabled", WANT_EQ, 2, "io_uring is open (the sandbox filter must deny it)" },
        { "kernel.kptr_restrict", WANT_GE, 1, "kernel addresses leak through /proc" },
        { "kernel.dmesg_restrict", WANT_EQ, 1, "host users can read the kernel log" },
        { "fs.protected_symlinks", WANT_EQ, 1, "symlinks in sticky directories are followed across owners" },
        { "fs.protected_hardlinks", WANT_EQ, 1, "hard links to files one cannot write are allowed" },
        { "fs.protected_fifos", WANT_GE, 1, "FIFOs in sticky directories are opened across owners" },
        { "fs.protected_regular", WANT_GE, 1, "regular files in sticky directories are opened across owners" },
        { "dev.tty.legacy_tiocsti", WANT_EQ, 0, "TIOCSTI can inject terminal input (the filter must deny it)" },
};

/* Fixed releases of recent host-root bugs that cross namespaces, per stable
 * series: a kernel of that series older than the fix is flagged. */
struct kernel_fix {
        int major, minor, patch;
        const char *cve;
};

static const struct kernel_fix kernel_fixes[] = {
        { 5, 10, 102, "CVE-2022-0847 (Dirty Pipe)" }, { 5, 15, 25, "CVE-2022-0847 (Dirty Pipe)" },
        { 5, 16, 11, "CVE-2022-0847 (Dirty Pipe)" },  { 5, 10, 209, "CVE-2024-1086 (nf_tables)" },
        { 5, 15, 149, "CVE-2024-1086 (nf_tables)" },  { 6, 1, 76, "CVE-2024-1086 (nf_tables)" },
        { 6, 6, 15, "CVE-2024-1086 (nf_tables)" },    { 6, 7, 3, "CVE-2024-1086 (nf_tables)" },
};

/* Called from main.c; airlockd.h is another module's header. */
int airlockd_check(int argc, char **argv);

static int warnings;

static void line(const char *verdict, const char *name, const char *value, const char *why)
{
        if (strcmp(verdict, "warn") == 0)
                warnings++;
        printf("%-4s %s = %s%s%s%s\n", verdict, name, value, why ? "  (" : "", why ? why : "", why ? ")" : "");
}

/* A sysctl's first number; -ENOENT when this kernel does not have it. */
static int read_sysctl(const char *name, long *ret)
{
        char path[256], buf[64];
        size_t n = (size_t)snprintf(path, sizeof(path), "/proc/sys/%s", name);
        _cleanup_fd_ int fd = -1;
        ssize_t len;

        for (size_t i = sizeof("/proc/sys/") - 1; i < n; i++)
                if (path[i] == '.')
                        path[i] = '/';
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        len = read(fd, buf, sizeof(buf) - 1);
        if (len <= 0)
                return len < 0 ? -errno : -EIO;
        buf[len] = '\0';
        *ret = strtol(buf, NULL, 10);
        return 0;
}

static void check_sysctl(const struct sysctl_rule *r)
{
        char v[32];
        long val = 0;
        bool good;
        int e = read_sysctl(r->name, &val);

        if (e == -ENOENT && strcmp(r->name, "dev.tty.legacy_tiocsti") == 0) {
                line("warn", r->name, "absent", "kernel before 6.2: TIOCSTI always works; the filter must deny it");
                return;
        }
        if (e < 0) {
                line("skip", r->name, "unreadable", strerror(-e));
                return;
        }
        snprintf(v, sizeof(v), "%ld", val);
        good = r->want == WANT_EQ ? val == r->value : val >= r->value;
        line(good ? "ok" : "warn", r->name, v, good ? NULL : r->why);
}

static void check_kernel(void)
{
        struct utsname u;
        int maj = 0, min = 0, pat = 0;

        if (uname(&u) < 0 || sscanf(u.release, "%d.%d.%d", &maj, &min, &pat) < 2) {
                line("skip", "kernel", "unknown", "uname failed");
                return;
        }
        for (size_t i = 0; i < ARRAY_SIZE(kernel_fixes); i++) {
                const struct kernel_fix *k = &kernel_fixes[i];
                if (k->major == maj && k->minor == min && pat < k->patch) {
                        line("warn", "kernel", u.release, k->cve);
                        return;
                }
        }
        if (maj < 5 || (maj == 5 && min < 10)) {
                line("warn", "kernel", u.release, "older than 5.10: no fixes tracked, no Landlock");
                return;
        }
        line("ok", "kernel", u.release, "no known cross-namespace root bug in the tracked table");
}

static void check_userns(void)
{
        long v = 0;
        char s[32];

        if (read_sysctl("kernel.unprivileged_userns_clone", &v) == 0) {
                snprintf(s, sizeof(s), "%ld", v);
                line(v ? "warn" : "ok", "kernel.unprivileged_userns_clone", s,
                     v ? "host users can make user namespaces; airlockd runs as root and does not need it" : NULL);
        } else {
                line("info", "kernel.unprivileged_userns_clone", "absent",
                     "not a Debian kernel: user.max_user_namespaces governs");
        }
        if (read_sysctl("user.max_user_namespaces", &v) == 0) {
                snprintf(s, sizeof(s), "%ld", v);
                line(v ? "info" : "warn", "user.max_user_namespaces", s,
                     v ? "sandboxes get theirs from root; nested ones are denied inside"
                       : "airlockd cannot create sandboxes");
        }
}

static void check_cgroup(void)
{
        struct rt_cgroup_roots roots = { 0 };
        char v[128];

        if (rt_cgroup_detect("/proc/self/mounts", &roots) < 0 || roots.version == RT_CG_NONE) {
                line("warn", "cgroup", "none", "no memory, cpu and pids controllers: sandboxes are not limited");
                return;
        }
        if (roots.version == RT_CG_V2) {
                line("ok", "cgroup", "v2", NULL);
                return;
        }
        snprintf(v, sizeof(v), "v1 (memory%s, cpu%s, pids%s)%s", roots.memory[0] ? "" : " missing",
                 roots.cpu[0] ? "" : " missing", roots.pids[0] ? "" : " missing",
                 roots.unified[0] ? " + an empty v2" : "");
        line(roots.memory[0] && roots.pids[0] ? "info" : "warn", "cgroup", v,
             "v1: no memory.oom.group or cgroup.kill; freezer plus kill is used");
}

static void check_landlock(void)
{
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        char v[32];

        if (abi < 0) {
                line("warn", "landlock", "unavailable",
                     errno == EOPNOTSUPP ? "disabled at boot (lsm=)" : "not in this kernel");
                return;
        }
        snprintf(v, sizeof(v), "ABI %ld", abi);
        line("ok", "landlock", v, abi < 6 ? "no signal or abstract-socket scoping before ABI 6" : NULL);
}

/* Noted, not judged: what an operator weighs for side channels. */
static void check_notes(void)
{
        char buf[64] = "";
        _cleanup_fd_ int fd = open("/sys/devices/system/cpu/smt/active", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        long v;

        buf[n > 0 ? n : 0] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        line("info", "smt", n > 0 ? (strcmp(buf, "1") == 0 ? "on" : "off") : "unknown",
             "siblings share caches: consider nosmt on multi-tenant hosts");
        if (read_sysctl("vm.swappiness", &v) == 0) {
                _cleanup_fd_ int sw = open("/proc/swaps", O_RDONLY | O_CLOEXEC);
                char s[512];
                ssize_t m = sw >= 0 ? read(sw, s, sizeof(s) - 1) : -1;
                s[m > 0 ? m : 0] = '\0';
                line("info", "swap", strchr(s, '\n') && strchr(s, '\n')[1] ? "on" : "off",
                     "sandbox memory may be written to disk when on");
        }
}

int airlockd_check(int argc, char **argv)
{
        if (argc > 1) {
                fprintf(stderr, "usage: airlockd check\n"
                                "  report the host kernel's settings that sandboxes rely on; exit 1 on a warning\n");
                return strcmp(argv[1], "--help") == 0 ? 0 : 2;
        }
        check_kernel();
        check_userns();
        for (size_t i = 0; i < ARRAY_SIZE(sysctl_rules); i++)
                check_sysctl(&sysctl_rules[i]);
        check_cgroup();
        check_landlock();
        check_notes();
        printf("%d warning%s\n", warnings, warnings == 1 ? "" : "s");
        return warnings ? 1 : 0;
}
