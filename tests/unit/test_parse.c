/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/parse.h"

static void test_sizes(void **state)
{
        uint64_t v;
        assert_int_equal(al_parse_size("4096", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(al_parse_size("512M", &v), 0);
        assert_int_equal(v, 512ull << 20);
        assert_int_equal(al_parse_size("10GiB", &v), 0);
        assert_int_equal(v, 10ull << 30);
        assert_int_equal(al_parse_size("1g", &v), 0);
        assert_int_equal(v, 1ull << 30);
        assert_int_equal(al_parse_size("2kb", &v), 0);
        assert_int_equal(v, 2048);
        assert_int_equal(al_parse_size("3T", &v), 0);
        assert_int_equal(v, 3ull << 40);
}

static void test_bad_sizes(void **state)
{
        uint64_t v = 7;
        assert_int_equal(al_parse_size("", &v), -EINVAL);
        assert_int_equal(al_parse_size("M", &v), -EINVAL);
        assert_int_equal(al_parse_size("-1M", &v), -EINVAL);
        assert_int_equal(al_parse_size("1.5G", &v), -EINVAL);
        assert_int_equal(al_parse_size("12Q", &v), -EINVAL);
        assert_int_equal(al_parse_size("1 G", &v), -EINVAL);
        assert_int_equal(al_parse_size("99999999999999999999", &v), -ERANGE);
        assert_int_equal(al_parse_size("17179869184G", &v), -ERANGE);
        assert_int_equal(al_parse_size(NULL, &v), -EINVAL);
        assert_int_equal(v, 7); /* untouched on failure */
}

static void test_uint(void **state)
{
        uint64_t v;
        assert_int_equal(al_parse_uint("2", 1, 64, &v), 0);
        assert_int_equal(v, 2);
        assert_int_equal(al_parse_uint("0", 1, 64, &v), -ERANGE);
        assert_int_equal(al_parse_uint("65", 1, 64, &v), -ERANGE);
        assert_int_equal(al_parse_uint("2x", 1, 64, &v), -EINVAL);
        assert_int_equal(al_parse_uint("", 1, 64, &v), -EINVAL);
}

static void test_env(void **state)
{
        assert_int_equal(al_parse_env_assignment("A=b"), 0);
        assert_int_equal(al_parse_env_assignment("A="), 0);
        assert_int_equal(al_parse_env_assignment("A=b=c"), 0);
        assert_int_equal(al_parse_env_assignment("=b"), -EINVAL);
        assert_int_equal(al_parse_env_assignment("AB"), -EINVAL);
        assert_int_equal(al_parse_env_assignment(NULL), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_bad_sizes),
                cmocka_unit_test(test_uint),
                cmocka_unit_test(test_env),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
