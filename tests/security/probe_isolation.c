/* SPDX-License-Identifier: Apache-2.0 */
/* sbxprobe: Landlock (SEC-02), environment and argv (SEC-03), setuid and
 * mounts (SEC-09), the page-cache write class (SEC-20), shared-kernel leaks
 * (SEC-22), executables (SEC-24) and host sockets (SEC-30).
 *
 * The harness (security.test.mjs) hands in its canaries by environment:
 * AIRLOCK_HOST_ABSTRACT and AIRLOCK_HOST_UNIX_SOCK (listeners on the host),
 * AIRLOCK_NETNS_ABSTRACT (a listener it bound inside the sandbox's network
 * namespace from outside the Landlock domain), AIRLOCK_HOST_STATE_DIR. The
 * host environment canary (AIRLOCK_HOST_ENV_CANARY) is set in airlockd's
 * environment, never passed in. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "probe.h"

extern char **environ;

/* Landlock UAPI (newer than Debian 12's headers) */
#define LL_CREATE_RULESET_VERSION 1u
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_REFER (1ull << 13)
#define LL_FS_TRUNCATE (1ull << 14)
#define LL_FS_IOCTL_DEV (1ull << 15)
#define LL_NET_BIND_TCP (1ull << 0)
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0)
#define LL_SCOPE_SIGNAL (1ull << 1)

#define PAGECACHE_FILE "/usr/share/common-licenses/Apache-2.0"
#define UDP_ENCAP_OPT 100
#define UDP_ENCAP_ESPINUDP_VAL 2
#define SYSLOG_READ_ALL 3
#define SYSLOG_SIZE_BUFFER 10

struct ll_attr {
        uint64_t fs, net, scoped;
};

/* the level checks' fixtures: files, an abstract and a TCP listener */
static char workdir[64];
static char ll_abstract[108];
static int ll_port, ll_unix_fd = -1, ll_tcp_fd = -1;

static int ll_abi(void)
{
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
        return abi < 0 ? 0 : (int)abi;
}

/* unix socket address; a leading '@' means the abstract namespace */
static socklen_t unix_addr(struct sockaddr_un *sa, const char *name)
{
        size_t n = strlen(name);

        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (n >= sizeof(sa->sun_path))
                n = sizeof(sa->sun_path) - 1;
        memcpy(sa->sun_path, name, n);
        if (name[0] == '@')
                sa->sun_path[0] = '\0';
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] != '@'));
}

/* 0 when connected, else the errno */
static int unix_connect(const char *name)
{
        struct sockaddr_un sa;
        socklen_t len = unix_addr(&sa, name);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), e = 0;

        if (fd < 0)
                return errno;
        if (connect(fd, (struct sockaddr *)&sa, len) < 0)
                e = errno;
        close(fd);
        return e;
}

/* ---- SEC-02 Landlock --------------------------------------------------------------- */

static int ll_write(void)
{
        char p[128];
        snprintf(p, sizeof(p), "%s/d1/f", workdir);
        int fd = open(p, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return errno;
        close(fd);
        return 0;
}

static int ll_refer(void)
{
        char a[128], b[128];
        snprintf(a, sizeof(a), "%s/d1/f", workdir);
        snprintf(b, sizeof(b), "%s/d2/f", workdir);
        return link(a, b) < 0 ? errno : (unlink(b), 0);
}

static int ll_truncate(void)
{
        char p[128];
        snprintf(p, sizeof(p), "%s/d1/f", workdir);
        return truncate(p, 4) < 0 ? errno : 0;
}

static int ll_tcp(void)
{
        return connect_to(AF_INET, SOCK_STREAM, "127.0.0.1", ll_port);
}

static int ll_ioctl_dev(void)
{
        struct termios t;
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), e = 0;

        if (fd < 0)
                return errno;
        if (ioctl(fd, TCGETS, &t) < 0)
                e = errno;
        close(fd);
        return e;
}

static int ll_abstract_connect(void)
{
        return unix_connect(ll_abstract);
}

static int ll_signal(void)
{
        return kill(getppid(), 0) < 0 ? errno : 0;
}

/* Runs fn in a child, inside a fresh nested domain that handles the given
 * rights and grants none of them (enforce = false: no domain, the control). */
static int ll_child(const struct ll_attr *attr, int abi, bool enforce, int (*fn)(void))
{
        int status = 0;

        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                child_deadline();
                if (enforce) {
                        size_t size = abi >= 6 ? sizeof(*attr) : 2 * sizeof(uint64_t);
                        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                                _exit(201);
                        int fd = (int)syscall(SYS_landlock_create_ruleset, attr, size, 0);
                        if (fd < 0 || syscall(SYS_landlock_restrict_self, fd, 0) < 0)
                                _exit(202);
                }
                _exit(fn());
        }
        if (pid < 0)
                return -1;
        wait_child(pid, &status);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 250;
}

/* 0 when the fixtures are ready */
static int ll_setup(void)
{
        char p[128];
        struct sockaddr_un sa;
        struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(in);

        snprintf(workdir, sizeof(workdir), "/tmp/airlock-ll-XXXXXX");
        if (!mkdtemp(workdir)) {
                workdir[0] = '\0';
                return -1;
        }
        snprintf(p, sizeof(p), "%s/d1", workdir);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/d2", workdir);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/d1/f", workdir);
        int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, "landlock", 8) != 8)
                return -1;
        close(fd);
        snprintf(ll_abstract, sizeof(ll_abstract), "@airlock-probe-ll-%d", (int)getpid());
        socklen_t ulen = unix_addr(&sa, ll_abstract);
        ll_unix_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (ll_unix_fd < 0 || bind(ll_unix_fd, (struct sockaddr *)&sa, ulen) < 0 ||
            listen(ll_unix_fd, 8) < 0)
                return -1;
        ll_tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (ll_tcp_fd < 0 || bind(ll_tcp_fd, (struct sockaddr *)&in, sizeof(in)) < 0 ||
            listen(ll_tcp_fd, 8) < 0 || getsockname(ll_tcp_fd, (struct sockaddr *)&in, &len) < 0)
                return -1;
        ll_port = ntohs(in.sin_port);
        return 0;
}

static void ll_cleanup(void)
{
        char p[128];

        if (ll_unix_fd >= 0)
                close(ll_unix_fd);
        if (ll_tcp_fd >= 0)
                close(ll_tcp_fd);
        ll_unix_fd = ll_tcp_fd = -1;
        if (!workdir[0])
                return;
        const char *files[] = { "d1/f", "d2/f", "d1", "d2", "." };
        for (size_t i = 0; i < ARRAY_LEN(files); i++) {
                snprintf(p, sizeof(p), "%s/%s", workdir, files[i]);
                if (strcmp(files[i], ".") == 0)
                        snprintf(p, sizeof(p), "%s", workdir);
                if (remove(p) < 0 && errno != ENOENT)
                        printf("# could not remove %s: %s\n", p, ename(errno));
        }
}

/* The kernel enforces each ABI level: a nested domain that handles one right
 * and grants nothing refuses it; the same call without the domain works. */
static void check_landlock_levels(const char *id, int abi)
{
        static const struct {
                int abi;
                struct ll_attr attr;
                int (*fn)(void);
                int control, want;
                const char *what;
        } cases[] = {
                { 1, { .fs = LL_FS_WRITE_FILE }, ll_write, 0, EACCES, "v1 write to a file" },
                { 2, { .fs = LL_FS_REFER }, ll_refer, 0, EXDEV, "v2 link across directories" },
                { 3, { .fs = LL_FS_TRUNCATE }, ll_truncate, 0, EACCES, "v3 truncate" },
                { 4, { .net = LL_NET_CONNECT_TCP }, ll_tcp, 0, EACCES, "v4 TCP connect" },
                { 5, { .fs = LL_FS_IOCTL_DEV }, ll_ioctl_dev, ENOTTY, EACCES,
                  "v5 ioctl on a device" },
                { 6, { .scoped = LL_SCOPE_ABSTRACT_UNIX }, ll_abstract_connect, 0, EPERM,
                  "v6 connect to an abstract socket outside the domain" },
                { 6, { .scoped = LL_SCOPE_SIGNAL }, ll_signal, 0, EPERM,
                  "v6 signal a process outside the domain" },
        };
        char got[96];

        if (ll_setup() < 0) {
                tap(false, id, ename(errno), "set up the Landlock level checks");
                ll_cleanup();
                return;
        }
        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
                if (abi < cases[i].abi) {
                        tap_skip(id, "the kernel's Landlock ABI is older", "%s refused by a "
                                 "nested domain", cases[i].what);
                        continue;
                }
                int c = ll_child(&cases[i].attr, abi, false, cases[i].fn);
                int r = ll_child(&cases[i].attr, abi, true, cases[i].fn);
                snprintf(got, sizeof(got), "without the domain %s, with it %s",
                         c ? ename(c) : "ok", r ? ename(r) : "allowed");
                tap(c == cases[i].control && r == cases[i].want, id, got,
                    "%s refused by a nested domain (%s)", cases[i].what, ename(cases[i].want));
        }
        if (abi >= 7)
                printf("# Landlock ABI 7 adds audit flags only: nothing more to enforce\n");
        ll_cleanup();
}

/* The sandbox's own ruleset (src/runtime/security.c) handles MAKE_CHAR,
 * MAKE_BLOCK and REFER (granted on /), and at ABI 6 the abstract-unix and
 * signal scopes; it has no network rules. Check exactly that. */
static void check_landlock_own(const char *id, int abi)
{
        char dir[] = "/tmp/airlock-llown-XXXXXX", a[96], b[96], got[96];
        static const struct {
                mode_t mode;
                const char *what;
        } nodes[] = { { S_IFCHR, "character" }, { S_IFBLK, "block" } };

        if (!mkdtemp(dir)) {
                tap(false, id, ename(errno), "a private directory for the ruleset checks");
                return;
        }
        for (size_t i = 0; i < ARRAY_LEN(nodes); i++) {
                snprintf(a, sizeof(a), "%s/node", dir);
                long r = syscall(SYS_mknodat, AT_FDCWD, a, nodes[i].mode | 0600, makedev(1, 3));
                int e = r < 0 ? errno : 0;
                unlink(a);
                /* without Landlock the capability check says EPERM; as root it works */
                tap(r < 0 && e == EACCES, id, r == 0 ? "node created" : ename(e),
                    "mknod of a %s device refused by the sandbox's ruleset (EACCES)", nodes[i].what);
        }
        snprintf(a, sizeof(a), "%s/fifo", dir);
        int e = mkfifo(a, 0600) < 0 ? errno : 0;
        unlink(a);
        tap(e == 0, id, ename(e), "mkfifo works (not a handled right)");
        snprintf(a, sizeof(a), "%s/sub", dir);
        mkdir(a, 0700);
        snprintf(a, sizeof(a), "%s/sub/f", dir);
        snprintf(b, sizeof(b), "%s/f", dir);
        int fd = open(a, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd >= 0)
                close(fd);
        e = rename(a, b) < 0 ? errno : 0;
        tap(e == 0, id, ename(e), "rename across directories works (REFER granted on /)");
        unlink(a);
        unlink(b);
        snprintf(a, sizeof(a), "%s/sub", dir);
        rmdir(a);
        rmdir(dir);

        const char *name = getenv("AIRLOCK_NETNS_ABSTRACT");
        if (abi < 6) {
                tap_skip(id, "Landlock ABI < 6 has no scopes", "abstract socket scope");
        } else if (!name || name[0] != '@') {
                tap_skip(id, "AIRLOCK_NETNS_ABSTRACT not set (the harness sets it in its SEC-02 host-side test)",
                         "abstract socket scope");
        } else {
                e = unix_connect(name);
                snprintf(got, sizeof(got), e ? "got %s" : "connected", ename(e));
                tap(e == EPERM, id, got, "an abstract socket bound in this network namespace from "
                    "outside the sandbox is refused by the scope (EPERM)");
        }
}

void check_landlock(const char *id)
{
        int abi = ll_abi();
        char got[32];

        snprintf(got, sizeof(got), "ABI %d", abi);
        if (abi < 1) {
                tap_skip(id, "the kernel has no Landlock", "Landlock is available");
                return;
        }
        printf("# Landlock ABI %d\n", abi);
        tap(abi >= 1, id, got, "Landlock is available (ABI %d)", abi);
        check_landlock_own(id, abi);
        check_landlock_levels(id, abi);
}

/* ---- SEC-03 environment and argv --------------------------------------------------- */

static const char *bad_var(const char *kv)
{
        static const char *const prefixes[] = { "AIRLOCK_HOST_ENV_CANARY", "AWS_", "KUBERNETES_",
                                                "SSH_AUTH_SOCK", "DENO_DEPLOY", "INVOCATION_ID",
                                                "JOURNAL_STREAM", "LD_PRELOAD", "LD_LIBRARY_PATH",
                                                "XDG_RUNTIME_DIR", "NOTIFY_SOCKET" };
        /* The harness's own instructions to the probe (what to look for),
         * passed in on purpose: not something airlockd leaked. */
        static const char *const harness[] = { "AIRLOCK_CANARY_PATH=", "AIRLOCK_HOST_STATE_DIR=" };
        const char *eq = strchr(kv, '=');
        size_t n = eq ? (size_t)(eq - kv) : strlen(kv);

        for (size_t i = 0; i < ARRAY_LEN(harness); i++)
                if (strncmp(kv, harness[i], strlen(harness[i])) == 0)
                        return NULL;
        for (size_t i = 0; i < ARRAY_LEN(prefixes); i++)
                if (strncmp(kv, prefixes[i], strlen(prefixes[i])) == 0)
                        return prefixes[i];
        if (n >= 6 && strncmp(kv + n - 6, "_TOKEN", 6) == 0)
                return "*_TOKEN";
        if (eq && strstr(eq, STATE_DIR))
                return "a host state path";
        return NULL;
}

static void scan_environ_blob(const char *blob, size_t len, char *got, size_t n, size_t *off,
                              int *bad, const char *who)
{
        for (size_t i = 0; i < len; i += strlen(blob + i) + 1) {
                const char *why = bad_var(blob + i);
                if (why && (*bad)++ < 4 && *off + 80 < n)
                        *off += (size_t)snprintf(got + *off, n - *off, "%s%s: %.40s", *off ? ", " : "",
                                                 who, blob + i);
        }
}

void check_environ(const char *id)
{
        static char blob[65536];
        char got[400] = "", path[64];
        size_t off = 0;
        int bad = 0, readable = 0, refused = 0;

        for (char **e = environ; *e; e++)
                scan_environ_blob(*e, strlen(*e), got, sizeof(got), &off, &bad, "self");
        DIR *d = opendir("/proc");
        for (struct dirent *de; d && (de = readdir(d));) {
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(path, sizeof(path), "/proc/%s/environ", de->d_name);
                ssize_t len = read_file(path, blob, sizeof(blob));
                if (len < 0) {
                        refused++;
                        continue;
                }
                readable++;
                scan_environ_blob(blob, (size_t)len, got, sizeof(got), &off, &bad, de->d_name);
        }
        if (d)
                closedir(d);
        printf("# environ: %d readable, %d refused\n", readable, refused);
        tap(bad == 0, id, got, "no host variable (canary, *_TOKEN, AWS_*, KUBERNETES_*, "
            "SSH_AUTH_SOCK, host paths) in any readable environ");

        ssize_t n = read_file("/proc/1/environ", blob, sizeof(blob));
        if (n < 0)
                snprintf(got, sizeof(got), "got %s", ename((int)-n));
        else
                snprintf(got, sizeof(got), "%zd bytes", n);
        tap(n == 0 || n == -EACCES, id, got, "airlock-init's environ is empty or unreadable");
        n = read_file("/proc/1/cmdline", blob, sizeof(blob));
        bool only_name = n > 0 && strcmp(blob, "airlock-init") == 0 &&
                         (size_t)n == strlen("airlock-init") + 1;
        snprintf(got, sizeof(got), "%zd bytes: %.60s", n, n > 0 ? blob : "");
        tap(only_name, id, got, "airlock-init's argv is its name alone");
}

/* ---- SEC-09 setuid and file capabilities ------------------------------------------ */

int whoami_main(void)
{
        char map[128] = "", nnp[16] = "";
        unsigned long long eff = ~0ull;

        read_file("/proc/self/uid_map", map, sizeof(map));
        map[strcspn(map, "\n")] = '\0';
        status_hex("CapEff", &eff);
        status_field("NoNewPrivs", nnp, sizeof(nnp));
        printf("euid=%d ruid=%d capeff=%016llx nnp=%s uid_map=%s\n", (int)geteuid(), (int)getuid(),
               eff, nnp, map);
        return 0;
}

/* per-mount options of every writable mount: nodev always, nosuid except
 * on / in the default profile (sudo needs it there) */
static void check_writable_mounts(const char *id)
{
        static char mi[65536];
        char got[300] = "";
        size_t off = 0;
        int bad = 0, rw = 0;

        if (read_file("/proc/self/mountinfo", mi, sizeof(mi)) <= 0) {
                tap(false, id, "unreadable", "every writable mount is nodev and nosuid");
                return;
        }
        for (char *line = strtok(mi, "\n"); line; line = strtok(NULL, "\n")) {
                char point[256], opts[256], type[64] = "";
                const char *dash = strstr(line, " - ");
                if (sscanf(line, "%*s %*s %*s %*s %255s %255s", point, opts) != 2 || !dash)
                        continue;
                sscanf(dash + 3, "%63s", type);
                if (strncmp(opts, "rw", 2) != 0 || strcmp(type, "devtmpfs") == 0 ||
                    strcmp(type, "devpts") == 0)
                        continue; /* read-only, or the device nodes themselves */
                rw++;
                bool suid_ok = strstr(opts, "nosuid") ||
                               (expect == PROFILE_DEFAULT && strcmp(point, "/") == 0);
                if ((!strstr(opts, "nodev") || !suid_ok) && bad++ < 4 && off + 80 < sizeof(got))
                        off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s %s",
                                                off ? ", " : "", point, opts);
        }
        tap(bad == 0 && rw > 0, id, got, "%d writable mounts: all nodev, nosuid%s", rw,
            expect == PROFILE_DEFAULT ? " (but / in the default profile)" : "");
}

/* sudo is setuid root in the image: strict must not elevate; default gives
 * root of the user namespace only (0 maps to the private range, and the
 * capabilities stay within the bounding set) */
void check_setuid(const char *id)
{
        char out[512] = "", got[300];
        int p[2], status = 0;

        check_writable_mounts(id);
        if (access("/usr/bin/sudo", X_OK) < 0) {
                tap_skip(id, "the image has no /usr/bin/sudo", "setuid sudo");
                return;
        }
        char self[256];
        ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[sl > 0 ? sl : 0] = '\0';
        if (pipe2(p, O_CLOEXEC) < 0)
                return;
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
                child_deadline();
                dup2(p[1], 1);
                dup2(p[1], 2);
                execl("/usr/bin/sudo", "sudo", "-n", self, "--whoami", (char *)NULL);
                _exit(127);
        }
        close(p[1]);
        ssize_t n = pid > 0 ? read(p[0], out, sizeof(out) - 1) : -1;
        out[n > 0 ? n : 0] = '\0';
        close(p[0]);
        if (pid > 0)
                wait_child(pid, &status);
        out[strcspn(out, "\n")] = '\0';
        snprintf(got, sizeof(got), "exit %d: %.200s", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                 out);
        if (expect == PROFILE_STRICT) {
                tap(!strstr(out, "euid=0 "), id, got, "setuid sudo does not elevate (strict)");
                return;
        }
        unsigned long long eff = ~0ull, host = 0;
        int euid = -1;
        const char *m = strstr(out, "uid_map=");
        bool parsed = sscanf(out, "euid=%d", &euid) == 1 && strstr(out, "capeff=") &&
                      sscanf(strstr(out, "capeff=") + 7, "%llx", &eff) == 1 && m &&
                      sscanf(m + 8, "%*u %llu", &host) == 1;
        /* SYS_ADMIN NET_ADMIN SYS_PTRACE SYS_MODULE MKNOD NET_RAW */
        unsigned long long forbidden = 1ull << 21 | 1ull << 12 | 1ull << 19 | 1ull << 16 |
                                       1ull << 27 | 1ull << 13;
        tap(parsed && euid == 0 && host >= 1000000 && !(eff & forbidden), id, got,
            "sudo gives root of the user namespace only: 0 maps to a private host uid, no "
            "SYS_ADMIN/NET_ADMIN/SYS_PTRACE/SYS_MODULE/MKNOD/NET_RAW (default)");
}

/* ---- SEC-20 page-cache write class -------------------------------------------------- */

/* Dirty Pipe's shape: a pipe buffer that may merge, then a page of a
 * read-only file spliced in, then a write. On a fixed kernel the write lands
 * in a new buffer; on a vulnerable one it lands in the file's page cache,
 * which every sandbox shares (the image is one lower layer). */
static int pipe_merge_attempt(const char *path, char *before, char *after, size_t n)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC), p[2];
        char junk[4096];
        loff_t off = 0;

        if (fd < 0)
                return errno;
        if (pread(fd, before, n, 0) != (ssize_t)n || pipe2(p, O_CLOEXEC) < 0) {
                close(fd);
                return EIO;
        }
        int size = fcntl(p[1], F_GETPIPE_SZ);
        memset(junk, 'A', sizeof(junk));
        for (int left = size; left > 0; left -= (int)sizeof(junk))
                if (write(p[1], junk, sizeof(junk)) < 0)
                        break;
        for (int left = size; left > 0; left -= (int)sizeof(junk))
                if (read(p[0], junk, sizeof(junk)) < 0)
                        break;
        ssize_t s = splice(fd, &off, p[1], NULL, 1, 0);
        ssize_t w = s == 1 ? write(p[1], "AIRLOCK", 7) : -1;
        (void)w;
        close(p[0]);
        close(p[1]);
        ssize_t r = pread(fd, after, n, 0);
        close(fd);
        return r == (ssize_t)n ? 0 : EIO;
}

void check_page_cache(const char *id)
{
        static const struct {
                int af, type, proto;
                int want;
                const char *what;
        } socks[] = {
                { 38, SOCK_SEQPACKET, 0, EAFNOSUPPORT, "AF_ALG (Copy Fail)" },
                { 33, SOCK_DGRAM, 0, EAFNOSUPPORT, "AF_RXRPC (Dirty Frag, rxrpc half)" },
                { AF_NETLINK, SOCK_RAW, 6 /* NETLINK_XFRM */, EPROTONOSUPPORT,
                  "NETLINK_XFRM (Dirty Frag, ESP half: no xfrm states)" },
                { 15, SOCK_RAW, 2, EAFNOSUPPORT, "AF_KEY (xfrm states by PF_KEY)" },
        };
        char before[64], after[64], got[128];

        for (size_t i = 0; i < ARRAY_LEN(socks); i++) {
                struct sc_res r = SC(SYS_socket, socks[i].af, socks[i].type, socks[i].proto);
                expect_res(id, &r, ((const int[]){ socks[i].want, 0 }), "socket(%s) denied with %s",
                           socks[i].what, ename(socks[i].want));
        }
        /* ESP-in-UDP itself is a UDP socket option: record what it does here;
         * without xfrm states (above) an encapsulating socket decrypts nothing */
        int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), v = UDP_ENCAP_ESPINUDP_VAL;
        int e = u < 0 ? errno : setsockopt(u, IPPROTO_UDP, UDP_ENCAP_OPT, &v, sizeof(v)) < 0 ? errno : 0;
        printf("# setsockopt(UDP_ENCAP, ESPINUDP): %s\n", e ? ename(e) : "accepted (no xfrm state can exist)");
        if (u >= 0)
                close(u);

        const char *path = getenv("AIRLOCK_PAGECACHE_FILE");
        path = path && *path ? path : PAGECACHE_FILE;
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        e = fd < 0 ? errno : 0;
        if (fd >= 0)
                close(fd);
        tap(fd < 0 && errno_in(e, ERRS(EACCES, EROFS, EPERM)), id, fd >= 0 ? "opened" : ename(e),
            "the shared image file %s cannot be opened for writing", path);
        e = pipe_merge_attempt(path, before, after, sizeof(before));
        snprintf(got, sizeof(got), e ? "got %s" : "file changed", ename(e));
        tap(e == 0 && memcmp(before, after, sizeof(before)) == 0, id, got,
            "splice + pipe merge leaves %s unchanged (Dirty Pipe)", path);
}

/* ---- SEC-22 shared-kernel leaks ----------------------------------------------------- */

void check_info_leaks(const char *id)
{
        static char buf[65536];
        char got[300];
        const char *state = getenv("AIRLOCK_HOST_STATE_DIR");

        state = state && *state == '/' ? state : STATE_DIR;
        struct sc_res r = SC(SYS_syslog, SYSLOG_READ_ALL, (long)buf, 64);
        expect_res(id, &r, ERRS(EPERM), "syslog(READ_ALL) denied with EPERM (dmesg)");
        r = SC(SYS_syslog, SYSLOG_SIZE_BUFFER, 0, 0);
        expect_res(id, &r, ERRS(EPERM), "syslog(SIZE_BUFFER) denied with EPERM");

        ssize_t n = read_file("/proc/kallsyms", buf, sizeof(buf));
        bool zero = true;
        for (char *l = n > 0 ? strtok(buf, "\n") : NULL; l && zero; l = strtok(NULL, "\n"))
                zero = strspn(l, "0") >= 16;
        if (n < 0)
                snprintf(got, sizeof(got), "got %s", ename((int)-n));
        else
                snprintf(got, sizeof(got), "%zd bytes%s", n, zero ? "" : ", real addresses");
        tap(n <= 0 || zero, id, got, "/proc/kallsyms is empty, refused, or all zeros");

        n = read_file("/proc/self/mountinfo", buf, sizeof(buf));
        const char *hit = n > 0 ? strstr(buf, state) : NULL;
        snprintf(got, sizeof(got), "%.200s", hit ? hit : "");
        tap(n > 0 && !hit, id, got, "mountinfo names no host path under %s (overlay layers)",
            state);
        n = read_file("/proc/net/unix", buf, sizeof(buf));
        hit = n > 0 ? strstr(buf, " /") : NULL;
        snprintf(got, sizeof(got), "%.120s", hit ? hit : n < 0 ? ename((int)-n) : "");
        tap(n > 0 && !strstr(buf, "/run/systemd") && !strstr(buf, state), id, got,
            "/proc/net/unix lists no host socket");
}

/* ---- SEC-24 executables -------------------------------------------------------------- */

void check_exe(const char *id)
{
        char target[256] = "", got[300];
        struct stat a, b;

        ssize_t n = readlink("/proc/self/exe", target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
        bool same = n > 0 && stat(target, &a) == 0 && stat("/proc/self/exe", &b) == 0 &&
                    a.st_ino == b.st_ino && a.st_dev == b.st_dev;
        tap(same, id, target, "/proc/self/exe (%s) is a file inside the sandbox", target);

        int fd = open("/proc/1/exe", O_RDONLY | O_CLOEXEC);
        int e = fd < 0 ? errno : 0;
        if (fd < 0) {
                tap(e == EACCES || e == EPERM, id, ename(e),
                    "/proc/1/exe (airlock-init) cannot be opened: init is not dumpable");
        } else {
                int seals = fcntl(fd, F_GET_SEALS);
                snprintf(got, sizeof(got), "seals 0x%x", seals);
                tap(seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SEAL), id, got,
                    "/proc/1/exe is a memfd sealed against writes");
                close(fd);
        }
        fd = open("/proc/1/exe", O_WRONLY | O_CLOEXEC);
        e = fd < 0 ? errno : 0;
        if (fd >= 0)
                close(fd);
        tap(fd < 0 && errno_in(e, ERRS(EACCES, EPERM, ETXTBSY)), id, fd >= 0 ? "opened" : ename(e),
            "/proc/1/exe cannot be opened for writing");
        n = readlink("/proc/1/exe", target, sizeof(target) - 1);
        e = n < 0 ? errno : 0;
        target[n > 0 ? n : 0] = '\0';
        snprintf(got, sizeof(got), "%s", n > 0 ? target : ename(e));
        tap((n < 0 && errno_in(e, ERRS(EACCES, EPERM))) ||
                    strncmp(target, "/memfd:airlock-init", 19) == 0,
            id, got, "/proc/1/exe is hidden or the airlock-init memfd");
}

/* ---- SEC-30 host sockets ----------------------------------------------------------- */

void check_host_sockets(const char *id)
{
        static const char *const paths[] = {
                "/run/systemd/private",        "/run/systemd/journal/stdout",
                "/run/systemd/notify",         "/var/run/docker.sock",
                "/run/docker.sock",            "/run/containerd/containerd.sock",
                "/run/dbus/system_bus_socket", "/var/run/dbus/system_bus_socket",
                "/run/airlock/airlockd.sock",
        };
        const char *abs = getenv("AIRLOCK_HOST_ABSTRACT");
        const char *sock = getenv("AIRLOCK_HOST_UNIX_SOCK");
        char got[64];

        if (!abs || abs[0] != '@') {
                tap_skip(id, "AIRLOCK_HOST_ABSTRACT not set", "the host's abstract socket");
        } else {
                int e = unix_connect(abs);
                snprintf(got, sizeof(got), e ? "got %s" : "connected", ename(e));
                tap(e == ECONNREFUSED, id, got, "the host's abstract socket %s is not reachable "
                    "(ECONNREFUSED: another network namespace)", abs);
        }
        if (!sock || sock[0] != '/') {
                tap_skip(id, "AIRLOCK_HOST_UNIX_SOCK not set", "the host's pathname socket");
        } else {
                int e = unix_connect(sock);
                snprintf(got, sizeof(got), e ? "got %s" : "connected", ename(e));
                tap(e == ENOENT, id, got, "the host's socket %s does not exist here", sock);
        }
        for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
                int e = unix_connect(paths[i]);
                snprintf(got, sizeof(got), e ? "got %s" : "connected", ename(e));
                tap(errno_in(e, ERRS(ENOENT, ECONNREFUSED, ENOTDIR)), id, got,
                    "%s is not a live socket here", paths[i]);
        }
}
