/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/rpc.h"
#include "common/b64.h"

static enum api_rpc_kind kind_of(const char *text)
{
        struct api_rpc_msg m;
        api_rpc_parse((const uint8_t *)text, strlen(text), &m);
        enum api_rpc_kind k = m.kind;
        api_rpc_msg_free(&m);
        return k;
}

static void test_kinds(void **state)
{
        assert_int_equal(kind_of("ping"), API_RPC_PING);
        assert_int_equal(kind_of("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"spawn\",\"params\":{}}"), API_RPC_REQUEST);
        assert_int_equal(kind_of("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"x\"}"), API_RPC_REQUEST);
        assert_int_equal(kind_of("{\"jsonrpc\":\"2.0\",\"method\":\"$sandbox.stream.end\",\"params\":{\"streamId\":1}}"),
                         API_RPC_NOTIFICATION);
        assert_int_equal(kind_of("not json"), API_RPC_BAD_JSON);
        assert_int_equal(kind_of("[1,2]"), API_RPC_BAD_JSON);
        assert_int_equal(kind_of("pong"), API_RPC_BAD_JSON);
        assert_int_equal(kind_of("{\"id\":1}"), API_RPC_BAD_REQUEST);
        assert_int_equal(kind_of("{\"id\":null,\"method\":\"x\"}"), API_RPC_BAD_REQUEST);
        assert_int_equal(kind_of("{\"id\":[1],\"method\":\"x\"}"), API_RPC_BAD_REQUEST);
        assert_int_equal(kind_of("{\"id\":1,\"method\":5}"), API_RPC_BAD_REQUEST);
        assert_int_equal(kind_of("{\"id\":1,\"method\":\"x\",\"params\":[1]}"), API_RPC_BAD_PARAMS);
        assert_int_equal(kind_of("{\"id\":1,\"method\":\"x\",\"id\":2}"), API_RPC_BAD_JSON); /* duplicate keys */
}

static void test_fields(void **state)
{
        const char *t = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"stat\",\"params\":{\"path\":\"/x\"}}";
        struct api_rpc_msg m;

        api_rpc_parse((const uint8_t *)t, strlen(t), &m);
        assert_int_equal(json_integer_value(m.id), 7);
        assert_string_equal(m.method, "stat");
        assert_string_equal(json_string_value(json_object_get(m.params, "path")), "/x");
        api_rpc_msg_free(&m);
}

static void test_config(void **state)
{
        struct al_error err = { 0 };
        /* {"memory_mb":1280,"labels":{"k":"é"}} with é as one Latin-1 byte, as btoa sends it */
        const uint8_t raw[] = "{\"memory_mb\":1280,\"labels\":{\"k\":\"\xe9\"}}";
        char *b64 = al_b64_encode(raw, sizeof(raw) - 1, NULL);
        json_t *cfg = api_config_decode(b64, &err);

        assert_non_null(cfg);
        assert_int_equal(json_integer_value(json_object_get(cfg, "memory_mb")), 1280);
        assert_string_equal(json_string_value(json_object_get(json_object_get(cfg, "labels"), "k")), "\xc3\xa9");
        json_decref(cfg);
        free(b64);
        assert_null(api_config_decode("!!!", &err));
        assert_non_null(strstr(err.msg, "not base64"));
        err = (struct al_error){ 0 };
        assert_null(api_config_decode("WzFd", &err)); /* [1] */
        assert_non_null(strstr(err.msg, "not a JSON object"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kinds),
                cmocka_unit_test(test_fields),
                cmocka_unit_test(test_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
