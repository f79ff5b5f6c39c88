/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/limits.h"
#include "common/log.h"

/* stderr goes to a memfd while a test logs; the text comes back as a string */
static int saved_stderr = -1, cap_fd = -1;

static int setup(void **state)
{
        cap_fd = memfd_create("log", MFD_CLOEXEC);
        saved_stderr = dup(STDERR_FILENO);
        assert_true(cap_fd >= 0 && saved_stderr >= 0);
        assert_int_equal(dup2(cap_fd, STDERR_FILENO), STDERR_FILENO);
        al_log_set_format(false);
        al_log_set_level(AL_LOG_INFO);
        return 0;
}

static int teardown(void **state)
{
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        close(cap_fd);
        return 0;
}

static char *captured(void)
{
        static char buf[4 * AL_LOG_MAX_LINE];
        ssize_t n = pread(cap_fd, buf, sizeof(buf) - 1, 0);

        assert_true(n >= 0);
        buf[n] = '\0';
        assert_int_equal(ftruncate(cap_fd, 0), 0);
        assert_int_equal(lseek(STDERR_FILENO, 0, SEEK_SET), 0);
        return buf;
}

static void test_logfmt_plain(void **state)
{
        al_log(AL_LOG_INFO, "sandbox", "created", "id", "sbx_loc_abc", "ms", "12", NULL);
        char *line = captured();
        /* time=2026-11-27T09:00:00.123Z */
        assert_int_equal(strncmp(line, "time=", 5), 0);
        assert_int_equal(
            strlen(line),
            5 + 24 + strlen(" level=info component=sandbox msg=created id=sbx_loc_abc ms=12\n"));
        assert_int_equal(line[5 + 10], 'T');
        assert_int_equal(line[5 + 23], 'Z');
        assert_string_equal(line + 29,
                            " level=info component=sandbox msg=created id=sbx_loc_abc ms=12\n");
}

static void test_logfmt_quoting(void **state)
{
        al_log(AL_LOG_WARN, "egress", "connection refused", "host", "a=b", "q", "say \"hi\"\\",
               "empty", "", "nul", NULL, NULL);
        char *line = strchr(captured(), ' ');
        assert_string_equal(line,
                            " level=warn component=egress msg=\"connection refused\" host=\"a=b\" "
                            "q=\"say \\\"hi\\\"\\\\\" empty=\"\" nul=\"\"\n");
}

static void test_logfmt_hostile(void **state)
{
        /* a forged line, a terminal escape, an invalid UTF-8 byte, a bad key */
        al_log(AL_LOG_ERROR, "ingress", "x", "host",
               "evil\nlevel=error msg=forged\x1b[2J\xff\xc3\xa9", "bad key", "v", NULL);
        char *line = strchr(captured(), ' ');
        assert_string_equal(line, " level=error component=ingress msg=x host=\"evil\\nlevel=error "
                                  "msg=forged\\u001b[2J?\xc3\xa9\" "
                                  "bad_key=v\n");
        assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1); /* one line */
}

static void test_cap(void **state)
{
        char big[3 * AL_LOG_MAX_VALUE];

        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        al_log(AL_LOG_INFO, "t", "long", "v", big, NULL);
        char *v = strstr(captured(), " v=");
        assert_non_null(v);
        assert_int_equal(strlen(v), 3 + AL_LOG_MAX_VALUE + 3 + 1);
        assert_string_equal(v + strlen(v) - 4, "...\n");
        /* many long values: the line stops at AL_LOG_MAX_LINE */
        al_log(AL_LOG_INFO, "t", "long", "a", big, "b", big, "c", big, "d", big, "e", big, "f", big,
               "g", big, "h", big, "i", big, NULL);
        char *line = captured();
        assert_true(strlen(line) <= AL_LOG_MAX_LINE);
        assert_string_equal(line + strlen(line) - 4, "...\n");
}

static void test_level_filter(void **state)
{
        enum al_log_level l;

        al_log(AL_LOG_DEBUG, "t", "hidden", NULL);
        assert_string_equal(captured(), "");
        al_log_set_level(AL_LOG_ERROR);
        al_log(AL_LOG_WARN, "t", "hidden", NULL);
        assert_string_equal(captured(), "");
        al_log(AL_LOG_ERROR, "t", "shown", NULL);
        assert_non_null(strstr(captured(), "msg=shown"));
        assert_int_equal(al_log_level_parse("debug", &l), 0);
        assert_int_equal(l, AL_LOG_DEBUG);
        assert_int_equal(al_log_level_parse("warn", &l), 0);
        assert_int_equal(l, AL_LOG_WARN);
        assert_true(al_log_level_parse("verbose", &l) < 0);
}

static void test_json(void **state)
{
        json_error_t jerr;

        al_log_set_format(true);
        al_log(AL_LOG_INFO, "sandbox", "created", "id", "sbx\n\"1\"\x01\xfe", "msg", "shadow",
               NULL);
        char *line = captured();
        assert_int_equal(line[strlen(line) - 1], '\n');
        assert_null(strchr(line, '\n') != line + strlen(line) - 1 ? line : NULL);
        json_t *o = json_loads(line, 0, &jerr);
        if (!o)
                fail_msg("not JSON: %s (%s)", line, jerr.text);
        assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
        assert_string_equal(json_string_value(json_object_get(o, "component")), "sandbox");
        assert_string_equal(json_string_value(json_object_get(o, "msg")),
                            "created"); /* not shadowed */
        assert_string_equal(json_string_value(json_object_get(o, "id")), "sbx\n\"1\"\x01?");
        const char *t = json_string_value(json_object_get(o, "time"));
        assert_non_null(t);
        assert_int_equal(strlen(t), 24);
        assert_int_equal(json_object_size(o), 5);
        /* the keys come in the logfmt order */
        assert_int_equal(strncmp(line, "{\"time\":", 8), 0);
        json_decref(o);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_logfmt_plain, setup, teardown),
            cmocka_unit_test_setup_teardown(test_logfmt_quoting, setup, teardown),
            cmocka_unit_test_setup_teardown(test_logfmt_hostile, setup, teardown),
            cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
            cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
            cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
