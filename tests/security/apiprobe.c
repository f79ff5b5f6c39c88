/* SPDX-License-Identifier: Apache-2.0 */
/* apiprobe: the in-sandbox helper of api.test.mjs and isolation.test.mjs.
 *
 * Where sbxprobe checks one sandbox's walls from inside, apiprobe is a tool
 * the harness drives: it floods stdout (SEC-54), makes IPC objects in one
 * sandbox and tries them from another (SEC-56), swaps a directory and a
 * symlink while the client uses the path (SEC-59), and reports what a
 * process spawned through the API holds (SEC-61). The verdicts are the
 * harness's; the probe prints plain "key=value" lines. Static, so it needs
 * nothing from the image; raw syscall(2) wherever a libc wrapper could hide
 * what the kernel said. Every loop is bounded in time. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_CHUNK (26 * 2520) /* ~64 KiB, whole alphabets: the pattern runs on across writes */
#define MAX_SECONDS 600
#define MAX_PIDS 4096
#define IPC_KEY_BASE 0x41690000 /* + a hash of the tag: the same key in every sandbox */
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif
/* The SysV commands, as the kernel numbers them (no glibc wrappers). */
#define P_IPC_STAT 2
#define P_IPC_CREAT 01000
#define P_IPC_EXCL 02000

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int seconds_arg(const char *s)
{
        int n = atoi(s);
        return n < 1 ? 1 : n > MAX_SECONDS ? MAX_SECONDS : n;
}

/* "ok" or the errno's name, for a result line. */
static const char *res(long r)
{
        static char buf[32];
        if (r >= 0)
                return "ok";
        snprintf(buf, sizeof(buf), "%s", strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
        return buf;
}

static key_t tag_key(const char *tag)
{
        unsigned h = 5381;
        for (const char *p = tag; *p; p++)
                h = h * 33 + (unsigned char)*p;
        return (key_t)(IPC_KEY_BASE + (h & 0xffff));
}

static void abstract_addr(const char *tag, struct sockaddr_un *sa, socklen_t *len)
{
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        int n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "airlock-apiprobe-%s", tag);
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

/* SEC-54: write a pattern to stdout as fast as the pipe takes it; the total
 * goes to stderr so the harness can check that every byte arrived. */
static int cmd_flood(int argc, char **argv)
{
        static char buf[FLOOD_CHUNK];
        double end = now_s() + seconds_arg(argc > 2 ? argv[2] : "10");
        unsigned long long total = 0;

        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (char)('a' + i % 26);
        signal(SIGPIPE, SIG_IGN);
        while (now_s() < end) {
                size_t off = total % sizeof(buf); /* after a short write, go on where it stopped */
                ssize_t n = write(1, buf + off, sizeof(buf) - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        break;
                total += (unsigned long long)n;
        }
        fprintf(stderr, "wrote=%llu\n", total);
        return 0;
}

/* SEC-59: exchange two names (a directory and a symlink) until time runs out. */
static int cmd_swap(int argc, char **argv)
{
        double end;
        unsigned long n = 0, failed = 0;

        if (argc < 5)
                return 2;
        end = now_s() + seconds_arg(argv[4]);
        while (now_s() < end) {
                if (syscall(SYS_renameat2, AT_FDCWD, argv[2], AT_FDCWD, argv[3], RENAME_EXCHANGE) < 0)
                        failed++;
                else
                        n++;
        }
        printf("swaps=%lu failed=%lu\n", n, failed);
        return n ? 0 : 1;
}

/* SEC-56: make one of each IPC object under the tag, print their ids, and
 * hold them (accepting on the abstract socket) for SECONDS. */
static int cmd_ipc_make(int argc, char **argv)
{
        key_t key;
        long shm, msq, sem;
        int ls, fd;
        struct sockaddr_un sa;
        socklen_t len;
        char path[128];

        if (argc < 4)
                return 2;
        key = tag_key(argv[2]);
        shm = syscall(SYS_shmget, key, 4096, P_IPC_CREAT | P_IPC_EXCL | 0600);
        msq = syscall(SYS_msgget, key, P_IPC_CREAT | P_IPC_EXCL | 0600);
        sem = syscall(SYS_semget, key, 1, P_IPC_CREAT | P_IPC_EXCL | 0600);
        snprintf(path, sizeof(path), "/dev/shm/airlock-apiprobe-%s", argv[2]);
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        abstract_addr(argv[2], &sa, &len);
        if (ls < 0 || bind(ls, (struct sockaddr *)&sa, len) < 0 || listen(ls, 8) < 0)
                ls = -1;
        printf("shm=%ld msq=%ld sem=%ld posix=%s abstract=%s pid=%ld\n", shm, msq, sem, fd >= 0 ? "ok" : "fail",
               ls >= 0 ? "ok" : "fail", (long)getpid());
        fflush(stdout);
        if (shm < 0 || msq < 0 || sem < 0 || fd < 0 || ls < 0)
                return 1;
        for (double end = now_s() + seconds_arg(argv[3]); now_s() < end;) {
                struct pollfd p = { .fd = ls, .events = POLLIN };
                if (poll(&p, 1, 200) < 0 && errno != EINTR)
                        break;
                if (p.revents & POLLIN) {
                        int cfd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
                        if (cfd >= 0)
                                close(cfd);
                }
        }
        syscall(SYS_shmctl, shm, IPC_RMID, NULL);
        syscall(SYS_msgctl, msq, IPC_RMID, NULL);
        syscall(SYS_semctl, sem, 0, IPC_RMID, 0);
        unlink(path);
        return 0;
}

/* SEC-56: try the tag's objects (by key, by the ids given, by name) and
 * signal the pids given. One line per attempt: "what=ok" or "what=ERRNO". */
static int cmd_ipc_try(int argc, char **argv)
{
        char buf[256], path[128];
        struct sockaddr_un sa;
        socklen_t len;
        key_t key;
        int s;

        if (argc < 6)
                return 2;
        key = tag_key(argv[2]);
        printf("shmget=%s\n", res(syscall(SYS_shmget, key, 0, 0)));
        printf("msgget=%s\n", res(syscall(SYS_msgget, key, 0)));
        printf("semget=%s\n", res(syscall(SYS_semget, key, 0, 0)));
        printf("shmctl=%s\n", res(syscall(SYS_shmctl, atol(argv[3]), P_IPC_STAT, buf)));
        printf("msgctl=%s\n", res(syscall(SYS_msgctl, atol(argv[4]), P_IPC_STAT, buf)));
        printf("semctl=%s\n", res(syscall(SYS_semctl, atol(argv[5]), 0, P_IPC_STAT, buf)));
        snprintf(path, sizeof(path), "/dev/shm/airlock-apiprobe-%s", argv[2]);
        printf("posix=%s\n", res(open(path, O_RDWR | O_CLOEXEC)));
        s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        abstract_addr(argv[2], &sa, &len);
        printf("abstract=%s\n", res(s < 0 ? -1 : connect(s, (struct sockaddr *)&sa, len)));
        for (int i = 6; i < argc && i < 6 + MAX_PIDS; i++)
                printf("kill%s=%s\n", argv[i], res(syscall(SYS_kill, atol(argv[i]), 0)));
        return 0;
}

/* SEC-61: what a process started through the API holds: its fds (other
 * than the directory this listing uses), cwd, dumpable flag and root. */
static int cmd_self(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *e;
        char link[4096], cwd[4096];

        if (!d)
                return 1;
        while ((e = readdir(d))) {
                char p[300];
                ssize_t n;
                if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
                        continue;
                snprintf(p, sizeof(p), "/proc/self/fd/%s", e->d_name);
                n = readlink(p, link, sizeof(link) - 1);
                link[n < 0 ? 0 : n] = '\0';
                printf("fd %s %s\n", e->d_name, link);
        }
        closedir(d);
        printf("cwd %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "(error)");
        ssize_t n = readlink("/proc/self/root", link, sizeof(link) - 1);
        link[n < 0 ? 0 : n] = '\0';
        printf("root %s\n", link);
        printf("dumpable %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        return 0;
}

/* Try to attach to pid; detach at once if it worked. "ok" or the errno. */
static const char *try_attach(pid_t pid)
{
        long r = syscall(SYS_ptrace, PTRACE_SEIZE, pid, 0, 0);
        const char *s = res(r);
        if (r == 0)
                syscall(SYS_ptrace, PTRACE_DETACH, pid, 0, 0);
        return s;
}

/* Open and read a byte of /proc/PID/environ: "ok" or the errno. */
static const char *try_environ(pid_t pid)
{
        char p[64], byte;
        snprintf(p, sizeof(p), "/proc/%d/environ", (int)pid);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return res(-1);
        ssize_t n = read(fd, &byte, 1);
        const char *s = res(n < 0 ? -1 : 0);
        close(fd);
        return s;
}

static bool read_comm(pid_t pid, char *buf, size_t len)
{
        char p[64];
        snprintf(p, sizeof(p), "/proc/%d/comm", (int)pid);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        ssize_t n = read(fd, buf, len - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return true;
}

/* One pass over /proc: every process still named airlock-init other than
 * pid 1 is a child between fork and exec. Try ptrace, its memory and its
 * environment; count attempts and successes. */
static void watch_pass(unsigned long *seen, unsigned long *breached)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        char comm[64], p[64], byte;

        if (!d)
                return;
        while ((e = readdir(d))) {
                pid_t pid = atoi(e->d_name);
                if (pid <= 1 || pid == getpid() || !read_comm(pid, comm, sizeof(comm)))
                        continue;
                if (strcmp(comm, "airlock-init") != 0)
                        continue;
                (*seen)++;
                struct iovec l = { &byte, 1 }, r = { (void *)0x400000, 1 };
                if (strcmp(try_attach(pid), "ok") == 0 || syscall(SYS_process_vm_readv, pid, &l, 1, &r, 1, 0) >= 0)
                        (*breached)++;
                snprintf(p, sizeof(p), "/proc/%d/environ", (int)pid);
                int fd = open(p, O_RDONLY | O_CLOEXEC);
                if (fd >= 0 && read(fd, &byte, 1) > 0)
                        (*breached)++;
                if (fd >= 0)
                        close(fd);
        }
        closedir(d);
}

/* SEC-61: watch for processes the API is starting and attack them before
 * they exec; also pid 1. The filter denies ptrace to everyone, so the
 * layer under it is checked through /proc/N/environ: the controls are a
 * child of our own (readable) and the same child non-dumpable (EACCES). */
static int cmd_watch(int argc, char **argv)
{
        double end = now_s() + seconds_arg(argc > 2 ? argv[2] : "10");
        unsigned long seen = 0, breached = 0, passes = 0;
        pid_t kid;

        printf("pid1=%s\n", try_attach(1));
        printf("pid1_environ=%s\n", try_environ(1));
        for (int nondump = 0; nondump < 2; nondump++) {
                kid = fork();
                if (kid == 0) {
                        if (nondump)
                                prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
                        pause();
                        _exit(0);
                }
                usleep(100000);
                printf("%s=%s\n", nondump ? "own_nondumpable" : "own_child", try_attach(kid));
                printf("%s_environ=%s\n", nondump ? "own_nondumpable" : "own_child", try_environ(kid));
                kill(kid, SIGKILL);
                waitpid(kid, NULL, 0);
        }
        fflush(stdout);
        while (now_s() < end) {
                watch_pass(&seen, &breached);
                passes++;
        }
        printf("passes=%lu preexec_seen=%lu preexec_breached=%lu\n", passes, seen, breached);
        return 0;
}

int main(int argc, char **argv)
{
        const char *cmd = argc > 1 ? argv[1] : "";

        setvbuf(stdout, NULL, _IOLBF, 0);
        if (!strcmp(cmd, "flood"))
                return cmd_flood(argc, argv);
        if (!strcmp(cmd, "swap"))
                return cmd_swap(argc, argv);
        if (!strcmp(cmd, "ipc-make"))
                return cmd_ipc_make(argc, argv);
        if (!strcmp(cmd, "ipc-try"))
                return cmd_ipc_try(argc, argv);
        if (!strcmp(cmd, "self"))
                return cmd_self();
        if (!strcmp(cmd, "watch"))
                return cmd_watch(argc, argv);
        fputs("usage: apiprobe flood SECONDS | swap A B SECONDS | ipc-make TAG SECONDS | "
              "ipc-try TAG SHMID MSQID SEMID [PID...] | self | watch SECONDS\n",
              stderr);
        return 2;
}
