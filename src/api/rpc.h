/* SPDX-License-Identifier: Apache-2.0 */
/* JSON-RPC 2.0 envelopes as the SDK sends them, and the create config
 * header. Pure parsers: the fuzzers and unit tests drive them alone. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum api_rpc_kind {
        API_RPC_PING,         /* the bare text "ping" */
        API_RPC_REQUEST,      /* id + method (+ object params) */
        API_RPC_NOTIFICATION, /* method, no id */
        API_RPC_BAD_JSON,     /* not a JSON object: the client closes with 4000 too */
        API_RPC_BAD_REQUEST,  /* -32600 */
        API_RPC_BAD_PARAMS,   /* -32602 */
};

struct api_rpc_msg {
        enum api_rpc_kind kind;
        json_t *root;       /* owned; NULL for ping and bad JSON */
        json_t *id;         /* borrowed from root */
        const char *method; /* borrowed */
        json_t *params;     /* borrowed; an object or NULL */
};

void api_rpc_parse(const uint8_t *data, size_t len, struct api_rpc_msg *ret);
void api_rpc_msg_free(struct api_rpc_msg *m);

#define API_MAX_CONFIG_B64 (64u * 1024u)

/* x-deno-sandbox-config: btoa() of JSON, so Latin-1 bytes; an object or NULL with err set. */
json_t *api_config_decode(const char *b64, struct al_error *err);
