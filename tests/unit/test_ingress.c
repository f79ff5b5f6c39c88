/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "api/ingress.h"

static void test_label(void **state)
{
        char label[API_INGRESS_LABEL_MAX + 1];
        static const struct {
                const char *host;
                int want;
                const char *label;
        } cases[] = {
                { "sbx-loc-abc-x1y2z3w4.sandbox.localhost:8080", 1, "sbx-loc-abc-x1y2z3w4" },
                { "SBX-Loc.Sandbox.LocalHost", 1, "sbx-loc" },
                { "a.sandbox.localhost.", 1, "a" },
                { "a.sandbox.localhost.:443", 1, "a" },
                { "sandbox.localhost:8080", 0, NULL },     /* the base itself is the API's */
                { "127.0.0.1:8080", 0, NULL },
                { "localhost", 0, NULL },
                { "[::1]:8080", 0, NULL },
                { "xsandbox.localhost", 0, NULL },         /* not a subdomain */
                { "a.sandbox.localhost.evil.com", 0, NULL },
                { "a.b.sandbox.localhost", -1, NULL },     /* two levels: never ours */
                { "a_b.sandbox.localhost", -1, NULL },
                { "a b.sandbox.localhost", -1, NULL },
                { ".sandbox.localhost", 0, NULL },
                { "a.sandbox.localhost:80x", 0, NULL },
                { "", 0, NULL },
        };
        char longest[128];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int r = api_ingress_label(cases[i].host, "sandbox.localhost", label);
                if (r != cases[i].want)
                        fail_msg("'%s': %d, want %d", cases[i].host, r, cases[i].want);
                if (r > 0)
                        assert_string_equal(label, cases[i].label);
        }
        memset(longest, 'a', 64);
        strcpy(longest + 64, ".sandbox.localhost");
        assert_int_equal(api_ingress_label(longest, "sandbox.localhost", label), -1);
        longest[63] = '.';
        memmove(longest + 63, longest + 64, strlen(longest + 64) + 1);
        assert_int_equal(api_ingress_label(longest, "sandbox.localhost", label), 1);
}

static void test_label_make(void **state)
{
        char label[API_INGRESS_LABEL_MAX + 1], got[API_INGRESS_LABEL_MAX + 1];
        const uint8_t rnd[8] = { 0, 25, 26, 35, 36, 71, 200, 251 };

        api_ingress_label_make("sbx_loc_0123456789abcdefghjk", rnd, label);
        assert_string_equal(label, "sbx-loc-0123456789abcdefghjk-az09a9u9");
        /* what it makes is what the matcher finds */
        char host[128];
        snprintf(host, sizeof(host), "%s.sandbox.localhost:8080", label);
        assert_int_equal(api_ingress_label(host, "sandbox.localhost", got), 1);
        assert_string_equal(got, label);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_label),
                cmocka_unit_test(test_label_make),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
