/* SPDX-License-Identifier: Apache-2.0 */
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "runtime/runtime.h"

static void test_format(void **state)
{
        regex_t re;
        char id[RT_ID_LEN + 1], prev[RT_ID_LEN + 1] = "";

        /* The SDK's own check (sandbox.js). */
        assert_int_equal(regcomp(&re, "^sbx_([a-z]{3})_[0-9a-hjkmnp-z]{20}$", REG_EXTENDED), 0);
        for (int i = 0; i < 1000; i++) {
                assert_int_equal(rt_id_generate("ord", id), 0);
                assert_int_equal(regexec(&re, id, 0, NULL, 0), 0);
                assert_true(rt_id_valid(id));
                assert_string_not_equal(id, prev);
                memcpy(prev, id, sizeof(id));
        }
        regfree(&re);
        assert_int_equal(rt_id_generate("toolong", id), -22);
}

static void test_invalid(void **state)
{
        assert_false(rt_id_valid(NULL));
        assert_false(rt_id_valid(""));
        assert_false(rt_id_valid("sbx_ord_0123456789abcdefghji")); /* i is not in the alphabet */
        assert_false(rt_id_valid("sbx_ORD_0123456789abcdefghjk"));
        assert_false(rt_id_valid("sbx_ord_0123456789abcdefghj"));
        assert_false(rt_id_valid("../../etc/passwd_xxxxxxxxxx"));
        assert_true(rt_id_valid("sbx_ord_0123456789abcdefghjk"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
