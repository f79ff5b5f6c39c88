/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "airlockd/airlockd.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])) - 1)

static void test_defaults(void **state)
{
        char *argv[] = { "run", "--", "true", NULL };
        struct run_opts o = { 0 };
        struct al_error err = { 0 };

        assert_int_equal(airlockd_parse_run(ARGC(argv), argv, &o, &err), 0);
        assert_int_equal(o.limits.memory_bytes, 512ull << 20);
        assert_int_equal(o.limits.disk_bytes, 10ull << 30);
        assert_int_equal(o.limits.cpus, 2);
        assert_int_equal(o.limits.pids, 1024);
        assert_string_equal(o.user, "app");
        assert_string_equal(o.image, "default");
        assert_string_equal(o.state_dir, "/var/lib/airlock");
        assert_int_equal(o.profile, RT_PROFILE_DEFAULT);
        assert_false(o.interactive);
        assert_string_equal(o.argv[0], "true");
        airlockd_run_opts_free(&o);
}

static void test_all_options(void **state)
{
        char *argv[] = { "run", "--memory", "1G", "--cpus", "1", "--disk", "100M", "--pids", "64",
                         "--env", "A=1", "--env", "B=2", "--workdir", "/tmp", "--user", "root",
                         "-it", "--image", "other", "--", "sh", "-c", "echo -n", NULL };
        struct run_opts o = { 0 };
        struct al_error err = { 0 };

        assert_int_equal(airlockd_parse_run(ARGC(argv), argv, &o, &err), 0);
        assert_int_equal(o.limits.memory_bytes, 1ull << 30);
        assert_int_equal(o.limits.disk_bytes, 100ull << 20);
        assert_int_equal(o.limits.cpus, 1);
        assert_int_equal(o.limits.pids, 64);
        assert_int_equal(o.n_env, 2);
        assert_string_equal(o.env[1], "B=2");
        assert_string_equal(o.workdir, "/tmp");
        assert_string_equal(o.user, "root");
        assert_true(o.interactive);
        assert_true(o.tty);
        assert_string_equal(o.image, "other");
        /* options after the command belong to the command */
        assert_string_equal(o.argv[0], "sh");
        assert_string_equal(o.argv[2], "echo -n");
        airlockd_run_opts_free(&o);
}

static void expect_error(char **argv, int argc, const char *needle)
{
        struct run_opts o = { 0 };
        struct al_error err = { 0 };

        assert_true(airlockd_parse_run(argc, argv, &o, &err) < 0);
        if (!strstr(err.msg, needle))
                fail_msg("error '%s' does not mention '%s'", err.msg, needle);
        airlockd_run_opts_free(&o);
}

static void test_errors(void **state)
{
        char *a1[] = { "run", "--memory", "lots", "--", "true", NULL };
        char *a2[] = { "run", "--memory", "1M", "--", "true", NULL };
        char *a3[] = { "run", "--cpus", "0", "--", "true", NULL };
        char *a4[] = { "run", "--env", "NOEQUALS", "--", "true", NULL };
        char *a5[] = { "run", "--user", "mallory", "--", "true", NULL };
        char *a6[] = { "run", "--profile", "lax", "--", "true", NULL };
        char *a7[] = { "run", "--workdir", "relative", "--", "true", NULL };
        char *a8[] = { "run", "--memory", NULL };
        char *a9[] = { "run", NULL };
        char *a10[] = { "run", "--profile", "strict", "--user", "root", "--", "true", NULL };
        char *a11[] = { "run", "--bogus", "--", "true", NULL };
        char *a12[] = { "run", "--disk", "2T", "--", "true", NULL };
        char *a13[] = { "run", "--pids", "1", "--", "true", NULL };

        expect_error(a1, ARGC(a1), "not a size");
        expect_error(a2, ARGC(a2), "outside");
        expect_error(a3, ARGC(a3), "--cpus");
        expect_error(a4, ARGC(a4), "KEY=VALUE");
        expect_error(a5, ARGC(a5), "neither app nor root");
        expect_error(a6, ARGC(a6), "neither default nor strict");
        expect_error(a7, ARGC(a7), "absolute");
        expect_error(a8, ARGC(a8), "--memory");
        expect_error(a9, ARGC(a9), "no command");
        expect_error(a10, ARGC(a10), "strict profile has no root");
        expect_error(a11, ARGC(a11), "--bogus");
        expect_error(a12, ARGC(a12), "outside");
        expect_error(a13, ARGC(a13), "--pids");
}

static void test_expose_domain(void **state)
{
        char host[AIRLOCKD_EXPOSE_HOST_MAX + 1];
        unsigned port = 99;
        struct al_error err = { 0 };
        static const struct {
                const char *arg, *needle;
        } bad[] = {
                { "localhost", "two labels" },       { "sandbox.localhost:0", "1..65535" },
                { "sandbox.localhost:x", "1..65535" }, { "a..b", "not a DNS name" },
                { "-a.b", "not a DNS name" },        { "a_b.example", "not a DNS name" },
                { "127.0.0.1", "an address" },       { ":8080", "1..190" },
                { "sandbox.localhost:70000", "1..65535" },
        };

        assert_int_equal(airlockd_parse_expose_domain("Sandbox.Example.COM:8443", host, &port, &err), 0);
        assert_string_equal(host, "sandbox.example.com");
        assert_int_equal(port, 8443);
        assert_int_equal(airlockd_parse_expose_domain("apps.example.com", host, &port, &err), 0);
        assert_string_equal(host, "apps.example.com");
        assert_int_equal(port, 0);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct al_error e = { 0 };
                assert_true(airlockd_parse_expose_domain(bad[i].arg, host, &port, &e) < 0);
                if (!strstr(e.msg, bad[i].needle))
                        fail_msg("'%s': error '%s' does not mention '%s'", bad[i].arg, e.msg, bad[i].needle);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_all_options),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_expose_domain),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
