/* SPDX-License-Identifier: Apache-2.0 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/metrics.h"

/* The value of one sample line ("name{labels} value"), or -1 when absent. */
static double sample(const char *text, const char *series)
{
        size_t n = strlen(series);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, series, n) == 0 && p[n] == ' ')
                        return strtod(p + n + 1, NULL);
        return -1;
}

static double scrape(const char *series)
{
        char *text = api_metrics_render();
        double v;

        assert_non_null(text);
        v = sample(text, series);
        free(text);
        return v;
}

/* Every line is a comment (HELP/TYPE) or "name[{labels}] number"; every
 * sample's family has a TYPE line before it. */
static void test_format(void **state)
{
        char *text = api_metrics_render(), *save = NULL, typed[8192] = " ";

        assert_non_null(text);
        assert_int_equal(text[strlen(text) - 1], '\n');
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char name[128], *end;
                if (strncmp(l, "# TYPE ", 7) == 0) {
                        assert_int_equal(sscanf(l + 7, "%127s", name), 1);
                        strcat(typed, name);
                        strcat(typed, " ");
                        continue;
                }
                if (strncmp(l, "# HELP ", 7) == 0)
                        continue;
                assert_true(l[0] >= 'a' && l[0] <= 'z');
                size_t n = strcspn(l, "{ ");
                snprintf(name, sizeof(name), " %.*s ", (int)n, l);
                char *fam = strstr(name, "_bucket ") ? (strcpy(strstr(name, "_bucket "), " "), name)
                            : strstr(name, "_sum ")  ? (strcpy(strstr(name, "_sum "), " "), name)
                            : strstr(name, "_count ") ? (strcpy(strstr(name, "_count "), " "), name)
                                                      : name;
                if (!strstr(typed, fam))
                        fail_msg("sample before its TYPE: %s", l);
                char *val = strrchr(l, ' ');
                strtod(val + 1, &end);
                if (*end)
                        fail_msg("not a number: %s", l);
        }
        free(text);
}

static void test_counters_move(void **state)
{
        json_t *id1 = json_integer(1), *id2 = json_integer(1), *ok = json_pack("{s:n}", "ok");
        json_t *err = json_pack("{s:{s:s}}", "error", "message", "no");

        api_metrics_live_set(3);
        assert_true(scrape("airlock_sandboxes_live") == 3);
        /* two requests with equal ids from two clients: the id object tells them apart */
        api_metrics_rpc_begin(id1, "spawn");
        api_metrics_rpc_begin(id2, "readFile");
        api_metrics_rpc_done(id2, err);
        api_metrics_rpc_done(id1, ok);
        assert_true(scrape("airlock_rpc_requests_total{method=\"spawn\",outcome=\"ok\"}") == 1);
        assert_true(scrape("airlock_rpc_requests_total{method=\"spawn\",outcome=\"error\"}") == 0);
        assert_true(scrape("airlock_rpc_requests_total{method=\"readFile\",outcome=\"error\"}") ==
                    1);
        /* a client's own method names fold into "other" */
        api_metrics_rpc_begin(id1, "x\"}\nevil 1");
        api_metrics_rpc_done(id1, ok);
        assert_true(scrape("airlock_rpc_requests_total{method=\"other\",outcome=\"ok\"}") == 1);
        /* a reply whose request was not seen: "other" too */
        api_metrics_rpc_done(id2, ok);
        assert_true(scrape("airlock_rpc_requests_total{method=\"other\",outcome=\"ok\"}") == 2);
        char *text = api_metrics_render();
        assert_null(strstr(text, "evil"));
        free(text);
        json_decref(id1);
        json_decref(id2);
        json_decref(ok);
        json_decref(err);
}

static void test_oom_and_egress(void **state)
{
        json_t *rec = json_pack("{s:s,s:I,s:I}", "decision", "allow", "bytes_out", (json_int_t)100,
                                "bytes_in", (json_int_t)5000);

        api_metrics_process_exit(json_pack("{s:b,s:i}", "success", 0, "code", 137));
        assert_true(scrape("airlock_oom_kills_total") == 0);
        api_metrics_process_exit(
            json_pack("{s:b,s:i,s:s}", "success", 0, "code", 137, "oom", "high-confidence"));
        assert_true(scrape("airlock_oom_kills_total") == 1);
        api_metrics_egress(rec);
        json_object_set_new(rec, "decision", json_string("deny"));
        json_object_set_new(rec, "bytes_out",
                            json_integer(-7)); /* nonsense from the proxy adds nothing */
        json_object_set_new(rec, "bytes_in", json_integer(0));
        api_metrics_egress(rec);
        assert_true(scrape("airlock_egress_bytes_total{direction=\"out\"}") == 100);
        assert_true(scrape("airlock_egress_bytes_total{direction=\"in\"}") == 5000);
        assert_true(scrape("airlock_egress_connections_refused_total") == 1);
        json_decref(rec);
}

static void test_histogram(void **state)
{
        uint64_t now = api_metrics_clock_ns();

        api_metrics_create_done(now, true);                  /* ~0 s: every bucket */
        api_metrics_create_done(now - 300000000ull, true);   /* 0.3 s: from le=0.5 */
        api_metrics_create_done(now - 20000000000ull, true); /* 20 s: +Inf only */
        api_metrics_create_done(now, false);                 /* counted, not timed */
        assert_true(scrape("airlock_sandbox_creates_total{outcome=\"ok\"}") == 3);
        assert_true(scrape("airlock_sandbox_creates_total{outcome=\"error\"}") == 1);
        assert_true(scrape("airlock_sandbox_create_seconds_bucket{le=\"0.005\"}") == 1);
        assert_true(scrape("airlock_sandbox_create_seconds_bucket{le=\"0.25\"}") == 1);
        assert_true(scrape("airlock_sandbox_create_seconds_bucket{le=\"0.5\"}") == 2);
        assert_true(scrape("airlock_sandbox_create_seconds_bucket{le=\"10\"}") == 2);
        assert_true(scrape("airlock_sandbox_create_seconds_bucket{le=\"+Inf\"}") == 3);
        assert_true(scrape("airlock_sandbox_create_seconds_count") == 3);
        double sum = scrape("airlock_sandbox_create_seconds_sum");
        assert_true(sum > 20.29 && sum < 20.4);
        assert_true(scrape("airlock_process_start_time_seconds") > 1.7e9);
}

static void test_escape(void **state)
{
        char out[64];

        api_metrics_escape("a\"b\\c\nd", false, out, sizeof(out));
        assert_string_equal(out, "a\\\"b\\\\c\\nd");
        api_metrics_escape("a\"b\\c\nd", true, out, sizeof(out));
        assert_string_equal(out, "a\"b\\\\c\\nd");
        api_metrics_escape("\\\\\\\\\\\\", false, out, 8); /* never cuts an escape in half */
        assert_int_equal(strlen(out), 6); /* three escaped backslashes: a fourth would not fit */
        assert_int_equal(strspn(out, "\\"), 6);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_format),         cmocka_unit_test(test_counters_move),
            cmocka_unit_test(test_oom_and_egress), cmocka_unit_test(test_histogram),
            cmocka_unit_test(test_escape),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
