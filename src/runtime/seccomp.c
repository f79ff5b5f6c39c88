/* SPDX-License-Identifier: Apache-2.0 */
/* Builds and loads the filter from rt_sc_table. Runs in the cloned child, last
 * of all setup steps, right before airlock-init is executed. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "common/cleanup.h"
#include "runtime_internal.h"
#include "seccomp.h"

#define NS_FLAGS                                                                                   \
        (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC |               \
         CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME)

static const unsigned long ns_flags[] = {
        CLONE_NEWUSER, CLONE_NEWNS,     CLONE_NEWNET,  CLONE_NEWPID,
        CLONE_NEWIPC,  CLONE_NEWUTS,    CLONE_NEWCGROUP, CLONE_NEWTIME,
};

/* personality() values that programs use harmlessly: PER_LINUX, PER_LINUX32,
 * UNAME26 variants, and the 0xffffffff query. */
static const unsigned long personality_ok[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

static int add_clone_rules(scmp_filter_ctx ctx)
{
        int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                                 SCMP_A0(SCMP_CMP_MASKED_EQ, NS_FLAGS, 0));
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(ns_flags); i++)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
        return r;
}

static int add_socket_rules(scmp_filter_ctx ctx)
{
        const int inet[] = { AF_INET, AF_INET6 };
        const int ok_types[] = { SOCK_STREAM, SOCK_DGRAM };
        int r;

        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                             SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
        /* NETLINK_ROUTE lets programs list their own interfaces; nothing else. */
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
                                     SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
                                     SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE));
        /* EPROTONOSUPPORT, not EPERM: sudo and PAM treat an audit socket they
         * cannot have as "no audit here" only for this kind of error. */
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT), SCMP_SYS(socket), 2,
                                     SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
                                     SCMP_A2(SCMP_CMP_NE, NETLINK_ROUTE));
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(inet); i++) {
                for (size_t t = 0; r == 0 && t < ARRAY_SIZE(ok_types); t++)
                        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
                                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)inet[i]),
                                             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, ok_types[t]));
                if (r == 0)
                        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2,
                                             SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)inet[i]),
                                             SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, SOCK_RAW));
        }
        /* Every other address family: EAFNOSUPPORT, which programs handle. */
        for (int d = 0; r == 0 && d < RT_SC_MAX_AF; d++) {
                if (d == AF_UNIX || d == AF_INET || d == AF_INET6 || d == AF_NETLINK)
                        continue;
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)d));
        }
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
                                     SCMP_A0(SCMP_CMP_GE, RT_SC_MAX_AF));
        return r;
}

static int add_ioctl_rules(scmp_filter_ctx ctx)
{
        /* The kernel reads cmd as 32 bits, so compare only those: a command with
         * junk in the upper half is still TIOCSTI. */
        int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                                 SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
                                     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 0);
        return r;
}

static int add_personality_rules(scmp_filter_ctx ctx)
{
        int r = 0;
        for (size_t i = 0; r == 0 && i < ARRAY_SIZE(personality_ok); i++)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
                                     SCMP_A0(SCMP_CMP_EQ, personality_ok[i]));
        return r;
}

static int add_table(scmp_filter_ctx ctx)
{
        for (size_t i = 0; i < rt_sc_table_len; i++) {
                const struct rt_sc_entry *e = &rt_sc_table[i];
                int nr = seccomp_syscall_resolve_name(e->name);
                uint32_t act;
                int r;

                if (nr == __NR_SCMP_ERROR || nr < 0)
                        continue; /* not a syscall on this architecture */
                switch (e->action) {
                case RT_SC_ALLOW:
                        act = SCMP_ACT_ALLOW;
                        break;
                case RT_SC_EPERM:
                        act = SCMP_ACT_ERRNO(EPERM);
                        break;
                case RT_SC_ENOSYS: /* that is the default action already */
                default:
                        continue;
                }
                r = seccomp_rule_add(ctx, act, nr, 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

int rt_seccomp_build(void **ret_ctx)
{
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
        int r;

        if (!ctx)
                return -ENOMEM;
        r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
        /* No-new-privs is the profile's choice, made by the caller. */
        if (r == 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r == 0)
                r = add_table(ctx);
        if (r == 0)
                r = add_clone_rules(ctx);
        if (r == 0)
                r = add_socket_rules(ctx);
        if (r == 0)
                r = add_ioctl_rules(ctx);
        if (r == 0)
                r = add_personality_rules(ctx);
        if (r < 0) {
                seccomp_release(ctx);
                return r;
        }
        *ret_ctx = ctx;
        return 0;
}

/* The compiled program, made once per airlockd process: compiling takes
 * libseccomp a few milliseconds, loading a ready program almost nothing. */
static uint8_t *bpf_cache;
static size_t bpf_cache_len;

int rt_seccomp_program(const uint8_t **ret, size_t *ret_len, struct al_error *err)
{
        _cleanup_fd_ int fd = -1;
        void *ctx = NULL;
        off_t size;
        int r;

        if (bpf_cache) {
                *ret = bpf_cache;
                *ret_len = bpf_cache_len;
                return 0;
        }
        r = rt_seccomp_build(&ctx);
        if (r < 0)
                return al_error_set(err, -r, "build seccomp filter");
        fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
        if (fd < 0)
                r = -errno;
        else
                r = seccomp_export_bpf(ctx, fd);
        seccomp_release(ctx);
        if (r < 0)
                return al_error_set(err, -r, "export seccomp filter");
        size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size > RT_SECCOMP_MAX_BPF || size % sizeof(struct sock_filter))
                return al_error_setx(err, E2BIG, "seccomp filter of %lld bytes", (long long)size);
        bpf_cache = malloc((size_t)size);
        if (!bpf_cache || pread(fd, bpf_cache, (size_t)size, 0) != size) {
                free(bpf_cache);
                bpf_cache = NULL;
                return al_error_set(err, EIO, "read seccomp filter");
        }
        bpf_cache_len = (size_t)size;
        *ret = bpf_cache;
        *ret_len = bpf_cache_len;
        return 0;
}

int rt_seccomp_install_child(const uint8_t *bpf, size_t len, struct al_error *err)
{
        struct sock_fprog prog = {
                .len = (unsigned short)(len / sizeof(struct sock_filter)),
                .filter = (struct sock_filter *)(uintptr_t)bpf,
        };

        if (len == 0 || len > RT_SECCOMP_MAX_BPF || len % sizeof(struct sock_filter))
                return al_error_setx(err, EINVAL, "bad seccomp program (%zu bytes)", len);
        /* TSYNC so that no thread is left out, should there ever be one. */
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
                return al_error_set(err, errno, "load seccomp filter");
        return 0;
}
