/* SPDX-License-Identifier: Apache-2.0 */
/* Volumes and snapshots without a store: capacities, slugs, the pagination
 * Link header (src/api/console_parse.c) and volume mount paths
 * (src/runtime/volume.c), including the files a volume becomes on disk. */
#include <errno.h>
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

#include "api/console.h"
#include "common/limits.h"

static uint64_t cap_of(json_t *v, int *ret_r)
{
        struct al_error err = {0};
        uint64_t bytes = 0;

        *ret_r = api_console_capacity_parse(v, &bytes, &err);
        json_decref(v);
        if (*ret_r < 0)
                assert_true(strlen(err.msg) > 0);
        return bytes;
}

static void expect_cap(const char *s, uint64_t want)
{
        int r;
        uint64_t got = cap_of(json_string(s), &r);

        if (r != 0)
                fail_msg("capacity \"%s\" refused", s);
        assert_int_equal(got, want);
}

static void expect_bad_cap(json_t *v)
{
        int r;

        cap_of(v, &r);
        assert_int_equal(r, -EINVAL);
}

static void test_capacity(void **state)
{
        int r;

        expect_cap("10GB", 10000000000ull);
        expect_cap("1GiB", 1ull << 30);
        expect_cap("512MiB", 512ull << 20);
        expect_cap("20MB", 20000000ull);
        expect_cap("20000kB", 20000000ull);
        expect_bad_cap(json_string("16384kB")); /* 16.4 MB is under 16 MiB */
        expect_cap("16384KiB", 16ull << 20);
        expect_cap("1.5GiB", 3ull << 29);
        expect_cap("1TiB", AL_MAX_VOLUME);
        expect_cap("16777216", AL_MIN_VOLUME);
        assert_int_equal(cap_of(json_integer(64 << 20), &r), 64 << 20);
        assert_int_equal(r, 0);
        assert_int_equal(cap_of(json_real(33554432.9), &r), 33554432);
        assert_int_equal(r, 0);

        expect_bad_cap(json_string("10XB"));
        expect_bad_cap(json_string("GB"));
        expect_bad_cap(json_string("1.GB"));
        expect_bad_cap(json_string("-1GB"));
        expect_bad_cap(json_string("1 GB"));
        expect_bad_cap(json_string(""));
        expect_bad_cap(json_string("99999999999999999999999GB")); /* too many digits */
        expect_bad_cap(json_string("18446744073709551615TiB"));   /* overflows: out of range */
        expect_bad_cap(json_string("2TiB"));
        expect_bad_cap(json_string("15MiB"));
        expect_bad_cap(json_integer(-1));
        expect_bad_cap(json_integer((16 << 20) - 1));
        expect_bad_cap(json_real(-5.0));
        expect_bad_cap(json_real(1e30));
        expect_bad_cap(json_true());
        expect_bad_cap(json_null());
        expect_bad_cap(NULL);
}

static void test_slug(void **state)
{
        char long_slug[STORE_NAME_MAX + 2];

        assert_true(api_console_slug_valid("my-vol"));
        assert_true(api_console_slug_valid("A.b_c-9"));
        assert_true(api_console_slug_valid("x"));
        assert_false(api_console_slug_valid(NULL));
        assert_false(api_console_slug_valid(""));
        assert_false(api_console_slug_valid("-x"));
        assert_false(api_console_slug_valid(".hidden"));
        assert_false(api_console_slug_valid("a b"));
        assert_false(api_console_slug_valid("a/b"));
        assert_false(api_console_slug_valid("a%2Fb"));
        assert_false(api_console_slug_valid("vol_0123456789abcdefghjk")); /* would shadow an id */
        assert_false(api_console_slug_valid("snp_x"));
        memset(long_slug, 'a', STORE_NAME_MAX);
        long_slug[STORE_NAME_MAX] = '\0';
        assert_true(api_console_slug_valid(long_slug));
        long_slug[STORE_NAME_MAX] = 'a';
        long_slug[STORE_NAME_MAX + 1] = '\0';
        assert_false(api_console_slug_valid(long_slug));
}

static void test_link(void **state)
{
        char buf[1024];

        assert_true(api_console_next_link(buf, sizeof(buf), "http://127.0.0.1:8080", "volumes",
                                          "vol_0123456789abcdefghjk", 2, NULL) > 0);
        assert_string_equal(buf, "<http://127.0.0.1:8080/api/v2/"
                                 "volumes?cursor=vol_0123456789abcdefghjk&limit=2>; rel=\"next\"");
        /* The SDK splits the header on ',' and each part on ';': neither may
         * appear unescaped in the URL. */
        assert_true(api_console_next_link(buf, sizeof(buf), "https://h", "snapshots", "snp_x", 20,
                                          "a,b;c d&e") > 0);
        assert_string_equal(
            buf, "<https://h/api/v2/snapshots?cursor=snp_x&limit=20&search=a%2Cb%3Bc%20d%26e>; "
                 "rel=\"next\"");
        assert_int_equal(
            api_console_next_link(buf, 20, "http://127.0.0.1:8080", "volumes", "vol_x", 2, NULL),
            -ENOSPC);
        assert_true(api_console_next_link(buf, sizeof(buf), NULL, "volumes", "c", 1, "") > 0);
        assert_string_equal(buf,
                            "<http://localhost/api/v2/volumes?cursor=c&limit=1>; rel=\"next\"");
}

static void test_path(void **state)
{
        static const char *const good[] = {
            "/data",    "/home/app/work", "/mnt/v-1/x_y.z", "/opt/@scope+x", "/etc/app",
            "/devices", "/system",        "/..x",           "/a.",           "/.cache"};
        static const char *const bad[] = {
            "",        "data", "/",        "/etc",      "/proc", "/proc/self", "/sys",
            "/sys/fs", "/dev", "/dev/shm", "/a/../etc", "/..",   "/a/.",       "/./a",
            "/a//b",   "/a/",  "/a b",     "/a\\b",     "/a:b",  "/a\nb",      "/ä"};
        char long_path[AL_MAX_VOLUME_PATH + 1];
        const char *why;

        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
                if (!rt_volume_path_valid(good[i], &why))
                        fail_msg("%s refused: %s", good[i], why);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                why = NULL;
                if (rt_volume_path_valid(bad[i], &why))
                        fail_msg("%s accepted", bad[i]);
                assert_non_null(why);
        }
        assert_false(rt_volume_path_valid(NULL, &why));
        long_path[0] = '/';
        memset(long_path + 1, 'a', AL_MAX_VOLUME_PATH - 1);
        long_path[AL_MAX_VOLUME_PATH] = '\0';
        assert_false(rt_volume_path_valid(long_path, &why));
        long_path[AL_MAX_VOLUME_PATH - 1] = '\0';
        assert_true(rt_volume_path_valid(long_path, &why));
}

/* The files themselves: a blank volume is a sparse image of its capacity, a
 * snapshot a copy, a volume from it grows; bad ids never become paths.
 * Needs mkfs.ext4, e2fsck and resize2fs (e2fsprogs). */
static void test_files(void **state)
{
        char dir[] = "/tmp/test_console.XXXXXX", path[256];
        struct al_error err = {0};
        struct stat st;
        uint64_t alloc = 0, size = 0;

        if (access("/sbin/mkfs.ext4", X_OK) != 0 && access("/usr/sbin/mkfs.ext4", X_OK) != 0)
                skip(); /* e2fsprogs is not installed */
        assert_non_null(mkdtemp(dir));
        assert_int_equal(rt_volume_make(dir, "vol_a", 32ull << 20, RT_FROM_NOTHING, NULL, &err), 0);
        snprintf(path, sizeof(path), "%s/volumes/vol_a.img", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, 32 << 20);
        assert_true((uint64_t)st.st_blocks * 512 < (8u << 20)); /* sparse */
        assert_int_equal(rt_volume_snapshot(dir, "vol_a", "snp_a", &alloc, &err), 0);
        assert_true(alloc > 0 && alloc < (8u << 20));
        assert_int_equal(rt_snapshot_size(dir, "snp_a", &size, &err), 0);
        assert_int_equal(size, 32 << 20);
        assert_int_equal(rt_volume_make(dir, "vol_b", 16ull << 20, RT_FROM_SNAPSHOT, "snp_a", &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "smaller than snapshot"));
        memset(&err, 0, sizeof(err));
        assert_int_equal(rt_volume_make(dir, "vol_b", 64ull << 20, RT_FROM_SNAPSHOT, "snp_a", &err),
                         0);
        snprintf(path, sizeof(path), "%s/volumes/vol_b.img", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_size, 64 << 20);
        assert_int_equal(rt_volume_make(dir, "../x", 32ull << 20, RT_FROM_NOTHING, NULL, &err),
                         -EINVAL);
        assert_int_equal(
            rt_volume_make(dir, "vol_c", 32ull << 20, RT_FROM_IMAGE, "../../etc", &err), -EINVAL);
        assert_int_equal(rt_volume_snapshot(dir, "vol_none", "snp_b", &alloc, &err), -ENOENT);
        rt_volume_remove(dir, false, "vol_a");
        rt_volume_remove(dir, false, "vol_b");
        rt_volume_remove(dir, true, "snp_a");
        snprintf(path, sizeof(path), "%s/volumes", dir);
        assert_int_equal(rmdir(path), 0); /* nothing left in it, no .tmp either */
        snprintf(path, sizeof(path), "%s/snapshots", dir);
        assert_int_equal(rmdir(path), 0);
        assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_capacity), cmocka_unit_test(test_slug),
            cmocka_unit_test(test_link),     cmocka_unit_test(test_path),
            cmocka_unit_test(test_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
