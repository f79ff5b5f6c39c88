/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "runtime/runtime_internal.h"

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

static void test_idmap(void **state)
{
        char buf[64];

        assert_int_equal(rt_slot_uid_base(0), AL_UID_BASE);
        assert_int_equal(rt_slot_uid_base(3), AL_UID_BASE + 3 * 65536);
        assert_int_equal(rt_slot_uid_base(AL_MAX_SLOTS), (uid_t)-1);
        /* slots never overlap and all stay below the top of the uid space */
        assert_true((uint64_t)rt_slot_uid_base(AL_MAX_SLOTS - 1) + AL_UID_RANGE < 0xfffffffeull);
        assert_int_equal(rt_idmap_format(rt_slot_uid_base(1), buf, sizeof(buf)) > 0, 1);
        assert_string_equal(buf, "0 1000065536 65536\n");
        assert_int_equal(rt_idmap_format(0, buf, sizeof(buf)), -ERANGE);
        assert_int_equal(rt_idmap_format(1000, buf, sizeof(buf)), -ERANGE);
        assert_int_equal(rt_idmap_format(0xffff0000u, buf, sizeof(buf)), -ERANGE);
        assert_int_equal(rt_idmap_format(AL_UID_BASE, buf, 8), -ENOSPC);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_idmap),
                cmocka_unit_test(test_format),
                cmocka_unit_test(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
