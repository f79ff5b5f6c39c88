/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp table: well-formed, and the dangerous calls are never allowed.
 * The filter itself is exercised call by call inside sandboxes (tests/security). */
#include <errno.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "runtime/runtime_internal.h"
#include "runtime/seccomp.h"

static const char *const must_deny[] = {
        "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "bpf",
        "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
        "io_uring_register", "keyctl", "add_key", "request_key", "open_by_handle_at",
        "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
        "reboot", "swapon", "swapoff", "ptrace", "process_vm_readv", "process_vm_writev",
        "fsopen", "fsmount", "fspick", "open_tree", "move_mount", "mount_setattr",
        "syslog", "acct", "settimeofday", "clock_settime", "iopl", "ioperm", "kcmp",
        "pidfd_getfd",
};

static void test_no_duplicates(void **state)
{
        for (size_t i = 0; i < rt_sc_table_len; i++)
                for (size_t j = i + 1; j < rt_sc_table_len; j++)
                        if (strcmp(rt_sc_table[i].name, rt_sc_table[j].name) == 0)
                                fail_msg("%s is listed twice", rt_sc_table[i].name);
}

static void test_names_resolve(void **state)
{
        size_t unknown = 0;
        for (size_t i = 0; i < rt_sc_table_len; i++)
                if (seccomp_syscall_resolve_name(rt_sc_table[i].name) == __NR_SCMP_ERROR)
                        unknown++;
        /* a handful of names may be newer than this libseccomp; most must resolve */
        assert_true(unknown < 8);
}

static void test_dangerous_denied(void **state)
{
        for (size_t i = 0; i < sizeof(must_deny) / sizeof(must_deny[0]); i++) {
                const struct rt_sc_entry *e = rt_sc_lookup(must_deny[i]);
                if (!e)
                        fail_msg("%s is not in the table (it would get ENOSYS, but say so)", must_deny[i]);
                assert_int_equal(e->action, RT_SC_EPERM);
        }
        assert_int_equal(rt_sc_lookup("clone3")->action, RT_SC_ENOSYS);
        assert_int_equal(rt_sc_lookup("socket")->action, RT_SC_CONDITIONAL);
        assert_int_equal(rt_sc_lookup("clone")->action, RT_SC_CONDITIONAL);
        assert_null(rt_sc_lookup("no_such_call"));
}

static void test_filter_builds(void **state)
{
        void *ctx = NULL;
        assert_int_equal(rt_seccomp_build(&ctx), 0);
        assert_non_null(ctx);
        /* Export the BPF to be sure libseccomp accepted every rule. */
        FILE *f = tmpfile();
        assert_int_equal(seccomp_export_bpf(ctx, fileno(f)), 0);
        fseek(f, 0, SEEK_END);
        assert_true(ftell(f) > 100 * 8); /* at least 100 BPF instructions */
        fclose(f);
        seccomp_release(ctx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_duplicates),
                cmocka_unit_test(test_names_resolve),
                cmocka_unit_test(test_dangerous_denied),
                cmocka_unit_test(test_filter_builds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
