/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/buf.h"
#include "common/chan.h"

static void test_roundtrip(void **state)
{
        struct al_buf b;
        struct al_frame f;
        long used;

        al_buf_init(&b, 1 << 20);
        assert_int_equal(al_buf_append_frame(&b, AL_MSG_STDOUT, 7, "hello", 5), 0);
        assert_int_equal(al_buf_append_frame(&b, AL_MSG_EXIT, 7, "\0\0\0\0\3\0\0\0", 8), 0);
        used = al_chan_decode(al_buf_head(&b), al_buf_size(&b), &f);
        assert_int_equal(used, AL_CHAN_HDR + 5);
        assert_int_equal(f.type, AL_MSG_STDOUT);
        assert_int_equal(f.id, 7);
        assert_int_equal(f.len, 5);
        assert_memory_equal(f.payload, "hello", 5);
        al_buf_consume(&b, (size_t)used);
        used = al_chan_decode(al_buf_head(&b), al_buf_size(&b), &f);
        assert_int_equal(used, AL_CHAN_HDR + 8);
        assert_int_equal(f.type, AL_MSG_EXIT);
        assert_int_equal(al_get_u32(f.payload + 4), 3);
        al_buf_free(&b);
}

static void test_partial(void **state)
{
        uint8_t buf[AL_CHAN_HDR + 4];
        struct al_frame f;

        al_chan_put_header(buf, AL_MSG_ACK, 1, 4);
        al_put_u32(buf + AL_CHAN_HDR, 99);
        for (size_t n = 0; n < sizeof(buf); n++)
                assert_int_equal(al_chan_decode(buf, n, &f), 0);
        assert_int_equal(al_chan_decode(buf, sizeof(buf), &f), sizeof(buf));
        assert_int_equal(al_get_u32(f.payload), 99);
}

static void test_hostile_headers(void **state)
{
        uint8_t buf[AL_CHAN_HDR];
        struct al_frame f;

        al_chan_put_header(buf, 0, 1, 0);
        assert_int_equal(al_chan_decode(buf, sizeof(buf), &f), -EBADMSG);
        al_chan_put_header(buf, AL_MSG_MAX_, 1, 0);
        assert_int_equal(al_chan_decode(buf, sizeof(buf), &f), -EBADMSG);
        al_chan_put_header(buf, AL_MSG_STDOUT, 1, AL_CHAN_MAX_PAYLOAD + 1);
        assert_int_equal(al_chan_decode(buf, sizeof(buf), &f), -EMSGSIZE);
        al_chan_put_header(buf, AL_MSG_STDOUT, 1, 0xffffffffu);
        assert_int_equal(al_chan_decode(buf, sizeof(buf), &f), -EMSGSIZE);
        al_chan_put_header(buf, AL_MSG_STDOUT, 1, 0);
        buf[6] = 1; /* flags must be zero */
        assert_int_equal(al_chan_decode(buf, sizeof(buf), &f), -EBADMSG);
}

static void test_buf_cap(void **state)
{
        struct al_buf b;
        uint8_t big[100] = { 0 };

        al_buf_init(&b, 150);
        assert_int_equal(al_buf_append(&b, big, 100), 0);
        assert_int_equal(al_buf_append(&b, big, 51), -ENOBUFS);
        assert_int_equal(al_buf_append(&b, big, 50), 0);
        al_buf_consume(&b, 120);
        assert_int_equal(al_buf_size(&b), 30);
        assert_int_equal(al_buf_append(&b, big, 100), 0);
        assert_int_equal(al_buf_append_frame(&b, AL_MSG_STDOUT, 1, NULL, AL_CHAN_MAX_PAYLOAD + 1), -EMSGSIZE);
        al_buf_free(&b);
}

static void test_names(void **state)
{
        assert_string_equal(al_msg_name(AL_MSG_SPAWN), "spawn");
        assert_string_equal(al_msg_name(999), "unknown");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip),
                cmocka_unit_test(test_partial),
                cmocka_unit_test(test_hostile_headers),
                cmocka_unit_test(test_buf_cap),
                cmocka_unit_test(test_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
