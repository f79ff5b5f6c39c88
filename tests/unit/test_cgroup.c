/* SPDX-License-Identifier: Apache-2.0 */
/* The cgroup writers against a temporary directory: v2 here has no real
 * controllers, so its logic is checked by reading back what it wrote. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime/cgroup.h"

static char tmp[64];

static int setup(void **state)
{
        snprintf(tmp, sizeof(tmp), "/tmp/al-cg-XXXXXX");
        return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
        return system(cmd);
}

static void read_file(const char *dir, const char *name, char *buf, size_t len)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(buf, 1, len - 1, f);
        buf[n] = '\0';
        fclose(f);
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void test_v2_writer(void **state)
{
        struct rt_cgroup_roots roots = { .version = RT_CG_V2 };
        struct rt_limits lim = { .memory_bytes = 256ull << 20, .cpus = 2, .pids = 100 };
        struct rt_cgroup cg;
        struct al_error err = { 0 };
        struct rt_stats st;
        char dir[PATH_MAX], buf[128];

        snprintf(roots.unified, sizeof(roots.unified), "%s", tmp);
        assert_int_equal(rt_cgroup_init(&cg, &roots, "sbx_loc_aaaaaaaaaaaaaaaaaaaa", &err), 0);
        assert_string_equal(cg.ops->name, "v2");
        assert_int_equal(cg.ops->create(&cg, &lim, &err), 0);
        read_file(tmp, "cgroup.subtree_control", buf, sizeof(buf));
        assert_string_equal(buf, "+memory +cpu +pids");
        snprintf(dir, sizeof(dir), "%s/airlock/sbx_loc_aaaaaaaaaaaaaaaaaaaa", tmp);
        read_file(dir, "memory.max", buf, sizeof(buf));
        assert_string_equal(buf, "268435456");
        read_file(dir, "memory.swap.max", buf, sizeof(buf));
        assert_string_equal(buf, "0");
        read_file(dir, "memory.oom.group", buf, sizeof(buf));
        assert_string_equal(buf, "1");
        read_file(dir, "cpu.max", buf, sizeof(buf));
        assert_string_equal(buf, "200000 100000");
        read_file(dir, "pids.max", buf, sizeof(buf));
        assert_string_equal(buf, "100");
        assert_int_equal(cg.ops->attach(&cg, 4242, &err), 0);
        read_file(dir, "cgroup.procs", buf, sizeof(buf));
        assert_string_equal(buf, "4242");

        /* Stats come from memory.events and pids.events. */
        char path[PATH_MAX + 32];
        snprintf(path, sizeof(path), "%s/memory.events", dir);
        write_text(path, "low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\noom_group_kill 1\n");
        snprintf(path, sizeof(path), "%s/pids.events", dir);
        write_text(path, "max 17\n");
        assert_int_equal(cg.ops->stats(&cg, &st), 0);
        assert_int_equal(st.oom_kills, 2);
        assert_int_equal(st.pids_max_hits, 17);
}

static void test_v1_writer(void **state)
{
        struct rt_cgroup_roots roots = { .version = RT_CG_V1 };
        struct rt_limits lim = { .memory_bytes = 1ull << 30, .cpus = 3, .pids = 64 };
        struct rt_cgroup cg;
        struct al_error err = { 0 };
        struct rt_stats st;
        char dir[PATH_MAX], buf[128], path[PATH_MAX + 32];
        const char *ctl[] = { "memory", "cpu", "pids" };

        for (int i = 0; i < 3; i++) {
                snprintf(path, sizeof(path), "%s/%s", tmp, ctl[i]);
                assert_int_equal(mkdir(path, 0755), 0);
        }
        snprintf(roots.memory, sizeof(roots.memory), "%s/memory", tmp);
        snprintf(roots.cpu, sizeof(roots.cpu), "%s/cpu", tmp);
        snprintf(roots.pids, sizeof(roots.pids), "%s/pids", tmp);
        assert_int_equal(rt_cgroup_init(&cg, &roots, "sbx_loc_bbbbbbbbbbbbbbbbbbbb", &err), 0);
        assert_string_equal(cg.ops->name, "v1");
        assert_int_equal(cg.ops->create(&cg, &lim, &err), 0);
        snprintf(dir, sizeof(dir), "%s/airlock/sbx_loc_bbbbbbbbbbbbbbbbbbbb", roots.memory);
        read_file(dir, "memory.limit_in_bytes", buf, sizeof(buf));
        assert_string_equal(buf, "1073741824");
        snprintf(path, sizeof(path), "%s/memory.oom_control", dir);
        write_text(path, "oom_kill_disable 0\nunder_oom 0\noom_kill 5\n");
        snprintf(dir, sizeof(dir), "%s/airlock/sbx_loc_bbbbbbbbbbbbbbbbbbbb", roots.cpu);
        read_file(dir, "cpu.cfs_quota_us", buf, sizeof(buf));
        assert_string_equal(buf, "300000");
        read_file(dir, "cpu.cfs_period_us", buf, sizeof(buf));
        assert_string_equal(buf, "100000");
        snprintf(dir, sizeof(dir), "%s/airlock/sbx_loc_bbbbbbbbbbbbbbbbbbbb", roots.pids);
        read_file(dir, "pids.max", buf, sizeof(buf));
        assert_string_equal(buf, "64");
        assert_int_equal(cg.ops->attach(&cg, 99, &err), 0);
        read_file(dir, "cgroup.procs", buf, sizeof(buf));
        assert_string_equal(buf, "99");
        assert_int_equal(cg.ops->stats(&cg, &st), 0);
        assert_int_equal(st.oom_kills, 5);
        assert_int_equal(st.pids_max_hits, 0);
}

static void test_detect(void **state)
{
        struct rt_cgroup_roots r;
        char mounts[PATH_MAX];

        /* A hybrid host like the development machines: v1 controllers, empty v2. */
        snprintf(mounts, sizeof(mounts), "%s/mounts", tmp);
        char text[2048];
        snprintf(text, sizeof(text),
                 "tmpfs /sys/fs/cgroup tmpfs rw 0 0\n"
                 "cgroup /c/cpu cgroup rw,relatime,cpu 0 0\n"
                 "cgroup /c/cpuacct cgroup rw,relatime,cpuacct 0 0\n"
                 "cgroup /c/memory cgroup rw,relatime,memory 0 0\n"
                 "cgroup /c/pids cgroup rw,relatime,pids 0 0\n"
                 "cgroup2 %s cgroup2 rw,relatime 0 0\n", tmp);
        write_text(mounts, text);
        assert_int_equal(rt_cgroup_detect(mounts, &r), 0);
        assert_int_equal(r.version, RT_CG_V1);
        assert_string_equal(r.memory, "/c/memory");
        assert_string_equal(r.cpu, "/c/cpu");
        assert_string_equal(r.pids, "/c/pids");

        /* The same v2 mount with its controllers enabled wins. */
        char ctl[PATH_MAX];
        snprintf(ctl, sizeof(ctl), "%s/cgroup.controllers", tmp);
        write_text(ctl, "cpuset cpu io memory pids\n");
        assert_int_equal(rt_cgroup_detect(mounts, &r), 0);
        assert_int_equal(r.version, RT_CG_V2);
        assert_string_equal(r.unified, tmp);

        /* Nothing usable: a clear error. */
        write_text(mounts, "proc /proc proc rw 0 0\n");
        assert_int_equal(rt_cgroup_detect(mounts, &r), -ENOENT);
        struct rt_cgroup cg;
        struct al_error err = { 0 };
        assert_int_equal(rt_cgroup_init(&cg, &r, "x", &err), -ENOTSUP);
        assert_non_null(strstr(err.msg, "no usable cgroup"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_v2_writer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_v1_writer, setup, teardown),
                cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
