/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/b64.h"
#include "rpc.h"

void api_rpc_parse(const uint8_t *data, size_t len, struct api_rpc_msg *m)
{
        json_error_t jerr;

        memset(m, 0, sizeof(*m));
        if (len == 4 && memcmp(data, "ping", 4) == 0) {
                m->kind = API_RPC_PING;
                return;
        }
        /* A NUL inside a string is valid JSON (a path with one is refused in-band) */
        m->root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        if (!json_is_object(m->root)) {
                json_decref(m->root);
                m->root = NULL;
                m->kind = API_RPC_BAD_JSON;
                return;
        }
        m->method = json_string_value(json_object_get(m->root, "method"));
        m->id = json_object_get(m->root, "id");
        m->params = json_object_get(m->root, "params");
        if (!m->method || (m->id && !json_is_integer(m->id) && !json_is_string(m->id))) {
                m->kind = API_RPC_BAD_REQUEST;
        } else if (m->params && !json_is_object(m->params) && !json_is_null(m->params)) {
                m->kind = m->id ? API_RPC_BAD_PARAMS : API_RPC_BAD_REQUEST;
        } else {
                if (json_is_null(m->params))
                        m->params = NULL;
                m->kind = m->id ? API_RPC_REQUEST : API_RPC_NOTIFICATION;
        }
}

void api_rpc_msg_free(struct api_rpc_msg *m)
{
        json_decref(m->root);
        memset(m, 0, sizeof(*m));
}

json_t *api_config_decode(const char *b64, struct al_error *err)
{
        uint8_t *raw;
        size_t n, o = 0;
        json_error_t jerr;

        if (!b64 || strlen(b64) > API_MAX_CONFIG_B64 ||
            al_b64_decode(b64, strlen(b64), API_MAX_CONFIG_B64, &raw, &n) < 0) {
                al_error_setx(err, EINVAL, "x-deno-sandbox-config is not base64");
                return NULL;
        }
        char *utf8 = malloc(n * 2 + 1);
        for (size_t i = 0; utf8 && i < n; i++) { /* Latin-1 to UTF-8 */
                if (raw[i] < 0x80) {
                        utf8[o++] = (char)raw[i];
                } else {
                        utf8[o++] = (char)(0xc0 | raw[i] >> 6);
                        utf8[o++] = (char)(0x80 | (raw[i] & 0x3f));
                }
        }
        free(raw);
        json_t *cfg = utf8 ? json_loadb(utf8, o, JSON_REJECT_DUPLICATES, &jerr) : NULL;
        free(utf8);
        if (!json_is_object(cfg)) {
                json_decref(cfg);
                al_error_setx(err, EINVAL, "x-deno-sandbox-config is not a JSON object");
                return NULL;
        }
        return cfg;
}
