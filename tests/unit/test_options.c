/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* --- the config file --- */

static const struct option conf_opts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "net-override", required_argument, NULL, 'O' },
        { "stop-sandboxes-on-exit", no_argument, NULL, 'E' },
        { "config", required_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 },
};
static const char *const conf_rep[] = { "net-override", NULL };

static void test_conf_parse(void **state)
{
        static const char text[] = "# airlockd.conf\n"
                                   "\n"
                                   "   listen =  0.0.0.0:8080  \r\n"
                                   "\tnet-override = a.example=10.0.0.1 # not a comment\n"
                                   "net-override=\"  b.example=10.0.0.2\"\n"
                                   "  # indented comment\n"
                                   "stop-sandboxes-on-exit = yes";
        struct airlockd_conf c = { 0 };
        struct al_error err = { 0 };

        assert_int_equal(airlockd_conf_parse(text, strlen(text), "t.conf", conf_opts, conf_rep, &c, &err), 0);
        assert_int_equal(c.argc, 4);
        assert_string_equal(c.argv[0], "--listen=0.0.0.0:8080");
        assert_string_equal(c.argv[1], "--net-override=a.example=10.0.0.1 # not a comment");
        assert_string_equal(c.argv[2], "--net-override=  b.example=10.0.0.2");
        assert_string_equal(c.argv[3], "--stop-sandboxes-on-exit");
        assert_null(c.argv[4]);
        airlockd_conf_free(&c);
        /* false leaves a flag out */
        assert_int_equal(airlockd_conf_parse("stop-sandboxes-on-exit=off\n", 27, "t", conf_opts, conf_rep, &c, &err), 0);
        assert_int_equal(c.argc, 0);
        airlockd_conf_free(&c);
}

static void conf_error(const char *text, size_t len, const char *needle)
{
        struct airlockd_conf c = { 0 };
        struct al_error err = { 0 };

        assert_true(airlockd_conf_parse(text, len, "/etc/a.conf", conf_opts, conf_rep, &c, &err) < 0);
        if (!strstr(err.msg, needle))
                fail_msg("'%s': error '%s' does not mention '%s'", text, err.msg, needle);
        airlockd_conf_free(&c);
}

static void test_conf_errors(void **state)
{
        char long_line[8192];

        conf_error("listen = a:1\nbogus = 1\n", 23, "/etc/a.conf:2: unknown key 'bogus'");
        conf_error("\n\njust words\n", 13, "/etc/a.conf:3: expected 'key = value'");
        conf_error("listen = a:1\nlisten = b:2\n", 26, "/etc/a.conf:2: 'listen' is set twice");
        conf_error("listen =\n", 9, ":1: listen has no value");
        conf_error(" = x\n", 5, ":1: unknown key ''");
        conf_error("--listen = x\n", 13, "unknown key '--listen'");
        conf_error("config = /x\n", 12, "unknown key 'config'"); /* no nesting */
        conf_error("stop-sandboxes-on-exit = maybe\n", 31, ":1: stop-sandboxes-on-exit: 'maybe' is neither");
        conf_error("listen = a\0b\n", 13, "NUL byte");
        memset(long_line, 'x', sizeof(long_line));
        conf_error(long_line, sizeof(long_line), ":1: longer than");
}

static void test_conf_apply(void **state)
{
        char path[] = "/tmp/airlock-conf-XXXXXX", arg[64];
        int fd = mkstemp(path);
        static const char text[] = "listen = 1.2.3.4:5\nnet-override = a.example=10.0.0.1\n";
        struct airlockd_conf c = { 0 };
        struct al_error err = { 0 };

        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
        close(fd);
        snprintf(arg, sizeof(arg), "--config=%s", path);
        char *argv[] = { "serve", arg, "--listen", "9.9.9.9:9", NULL };
        int argc = 4;
        char **av = argv;
        assert_int_equal(airlockd_conf_apply(&argc, &av, "/nonexistent", conf_opts, conf_rep, &c, &err), 0);
        assert_int_equal(argc, 6);
        assert_string_equal(av[0], "serve");
        assert_string_equal(av[1], "--listen=1.2.3.4:5"); /* the file first ... */
        assert_string_equal(av[4], "--listen");           /* ... the command line after: it wins */
        assert_null(av[6]);
        airlockd_conf_free(&c);
        /* no --config and no default file: nothing changes */
        char *plain[] = { "serve", "--listen", "x:1", NULL };
        argc = 3, av = plain;
        assert_int_equal(airlockd_conf_apply(&argc, &av, "/nonexistent/airlockd.conf", conf_opts, conf_rep, &c, &err), 0);
        assert_true(av == plain && argc == 3);
        /* the default file is read when it exists */
        assert_int_equal(airlockd_conf_apply(&argc, &av, path, conf_opts, conf_rep, &c, &err), 0);
        assert_int_equal(argc, 5);
        assert_string_equal(av[2], "--net-override=a.example=10.0.0.1");
        airlockd_conf_free(&c);
        unlink(path);
        /* --config names a file that must exist */
        char *missing[] = { "serve", "--config", path, NULL };
        argc = 3, av = missing;
        assert_true(airlockd_conf_apply(&argc, &av, "/nonexistent", conf_opts, conf_rep, &c, &err) < 0);
        assert_non_null(strstr(err.msg, path));
        airlockd_conf_free(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_all_options),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_expose_domain),
                cmocka_unit_test(test_conf_parse),
                cmocka_unit_test(test_conf_errors),
                cmocka_unit_test(test_conf_apply),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
