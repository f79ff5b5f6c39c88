/* SPDX-License-Identifier: Apache-2.0 */
/* The proxy's synthetic address book: stable answers, lookups both ways,
 * and the oldest name giving its address away once the book is full. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "proxy/proxy.h"

static void test_same_name_same_address(void **state)
{
        struct px_names n;

        assert_int_equal(px_names_init(&n), 0);
        uint32_t a = px_names_addr(&n, "api.example.test");
        uint32_t b = px_names_addr(&n, "other.example.test");
        assert_int_not_equal(a, b);
        assert_int_equal(px_names_addr(&n, "api.example.test"), a);
        assert_int_equal(a & 0xfffe0000u, PX_SYNTH_NET); /* inside 198.18.0.0/15 */
        assert_string_equal(px_names_lookup(&n, a), "api.example.test");
        assert_string_equal(px_names_lookup(&n, b), "other.example.test");
        assert_null(px_names_lookup(&n, b + 1));        /* not given out */
        assert_null(px_names_lookup(&n, PX_SYNTH_NET)); /* the network address */
        assert_null(px_names_lookup(&n, 0x7f000001u));
        px_names_free(&n);
}

static void test_full_book_recycles_oldest(void **state)
{
        struct px_names n;
        char name[64];

        assert_int_equal(px_names_init(&n), 0);
        uint32_t first = px_names_addr(&n, "n0.test");
        for (int i = 1; i < PX_MAX_NAMES; i++) {
                snprintf(name, sizeof(name), "n%d.test", i);
                px_names_addr(&n, name);
        }
        assert_string_equal(px_names_lookup(&n, first), "n0.test");
        uint32_t next = px_names_addr(&n, "late.test"); /* takes n0's address */
        assert_int_equal(next, first);
        assert_string_equal(px_names_lookup(&n, first), "late.test");
        /* n0 asks again: a new address (n1's), and n1 is gone */
        uint32_t again = px_names_addr(&n, "n0.test");
        assert_int_not_equal(again, first);
        assert_string_equal(px_names_lookup(&n, again), "n0.test");
        assert_int_equal(px_names_addr(&n, "late.test"), first); /* still found after unlinking */
        px_names_free(&n);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_name_same_address),
                cmocka_unit_test(test_full_book_recycles_oldest),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
