/* SPDX-License-Identifier: Apache-2.0 */
/* sbxprobe's shared helpers: TAP output and running one syscall in a
 * throwaway child. The checks live in sbxprobe.c (SEC-01..55),
 * probe_seccomp.c (SEC-06, 08, 21, 64) and probe_isolation.c (SEC-02, 03,
 * 09, 20, 22, 24, 30). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#ifndef __x86_64__
#error "sbxprobe's syscall numbers and sweep ranges are x86_64's"
#endif

#define NOPATH "/nonexistent-airlock-probe"
#define STATE_DIR "/var/lib/airlock"
#define CHILD_TIMEOUT_S 5
#define CONNECT_TIMEOUT_MS 2000
#define WATCHDOG_S 240

#define ERRS(...) ((const int[]){ __VA_ARGS__, 0 })
#define SC(nr, ...) sc_run((nr), 0, (const long[6]){ __VA_ARGS__ })
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum profile { PROFILE_DEFAULT, PROFILE_STRICT };

struct sc_res {
        long ret;
        int err;  /* errno when ret == -1 */
        int sig;  /* the child died of this signal */
        bool hung;
};

struct check {
        const char *id;
        void (*fn)(const char *id);
};

extern enum profile expect;

__attribute__((format(printf, 4, 5)))
void tap(bool ok, const char *id, const char *got, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void tap_skip(const char *id, const char *reason, const char *fmt, ...);
__attribute__((format(printf, 4, 5)))
void expect_res(const char *id, const struct sc_res *r, const int *allowed, const char *fmt, ...);
const char *ename(int e);
bool errno_in(int e, const int *set);
const char *res_str(const struct sc_res *r, char *buf, size_t n);

enum {
        SC_SETSID = 1,   /* call it as a session leader without a terminal */
        SC_SHORT = 2,    /* a call that blocks when allowed: SIGALRM after 1 s */
        SC_FORKLIKE = 4, /* fork or vfork: the new process leaves at once */
};
void child_deadline(void);
struct sc_res sc_run(long nr, unsigned opts, const long a[6]);
void wait_child(pid_t pid, int *status);
/* Raw clone without CLONE_VM is fork-like: a created child leaves at once. */
struct sc_res clone_forklike(unsigned long flags);

ssize_t read_file(const char *path, char *buf, size_t n);
bool status_field(const char *key, char *out, size_t n);
bool status_hex(const char *key, unsigned long long *v);
int connect_to(int af, int type, const char *ip, int port);

/* probe_seccomp.c */
void check_abi_confusion(const char *id);
void check_filter_inherited(const char *id);
void check_tiocsti(const char *id);
void check_rules(const char *id);
int reexec_check_main(void);
int kernel_enosys_main(void);

/* probe_isolation.c */
void check_landlock(const char *id);
void check_environ(const char *id);
void check_setuid(const char *id);
void check_page_cache(const char *id);
void check_info_leaks(const char *id);
void check_exe(const char *id);
void check_host_sockets(const char *id);
int whoami_main(void);
