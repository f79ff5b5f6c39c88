/* SPDX-License-Identifier: Apache-2.0 */
/* Builds and loads the filter from rt_sc_table. Runs in the cloned child, last
 * of all setup steps, right before airlock-init is executed. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <stddef.h>
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

static int add_clone_rules(scmp_filter_ctx ctx)
{
        unsigned long all = 0;
        int r;

        for (size_t i = 0; i < rt_sc_ns_flags_len; i++)
                all |= rt_sc_ns_flags[i];
        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, all, 0));
        for (size_t i = 0; r == 0 && i < rt_sc_ns_flags_len; i++)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                     SCMP_A0(SCMP_CMP_MASKED_EQ, rt_sc_ns_flags[i], rt_sc_ns_flags[i]));
        return r;
}

static int add_socket_rules(scmp_filter_ctx ctx)
{
        const int inet[] = { AF_INET, AF_INET6 };
        const int ok_types[] = { SOCK_STREAM, SOCK_DGRAM };
        int r;

        r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
        /* NETLINK_ROUTE lets programs list their own interfaces; nothing else. */
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2, SCMP_A0(SCMP_CMP_EQ, AF_NETLINK),
                                     SCMP_A2(SCMP_CMP_EQ, NETLINK_ROUTE));
        /* EPROTONOSUPPORT, not EPERM: sudo and PAM treat an audit socket they
         * cannot have as "no audit here" only for this kind of error. */
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT), SCMP_SYS(socket), 2,
                                     SCMP_A0(SCMP_CMP_EQ, AF_NETLINK), SCMP_A2(SCMP_CMP_NE, NETLINK_ROUTE));
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

/* ioctl is allowed here; TIOCSTI and TIOCLINUX are refused by a second,
 * hand-written filter (ioctl_guard below). libseccomp cannot say "the low 32
 * bits are neither of these": it silently drops argument rules for a syscall
 * that also has an unconditional rule, and its 32-bit comparisons still look
 * at the upper half, which the kernel ignores for ioctl (found by the probe,
 * SEC-05). */
static int add_ioctl_rules(scmp_filter_ctx ctx)
{
        return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 0);
}

#define SECCOMP_ARG_LO(n) (offsetof(struct seccomp_data, args) + (n) * sizeof(uint64_t))

/* Stacked filters all run and the strictest answer wins, so this one only
 * needs to say EPERM for the two commands and ALLOW for everything else. */
static const struct sock_filter ioctl_guard[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 5),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SECCOMP_ARG_LO(1)), /* little endian: low word */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCSTI, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TIOCLINUX, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
};

static int add_personality_rules(scmp_filter_ctx ctx)
{
        int r = 0;
        for (size_t i = 0; r == 0 && i < rt_sc_personality_ok_len; i++)
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(personality), 1,
                                     SCMP_A0(SCMP_CMP_EQ, rt_sc_personality_ok[i]));
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
        struct sock_fprog guard = {
                .len = ARRAY_SIZE(ioctl_guard),
                .filter = (struct sock_filter *)(uintptr_t)ioctl_guard,
        };

        /* TSYNC so that no thread is left out, should there ever be one. */
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &guard) != 0)
                return al_error_set(err, errno, "load the ioctl seccomp filter");
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog) != 0)
                return al_error_set(err, errno, "load seccomp filter");
        return 0;
}
