/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: JSON-RPC envelopes as they arrive on the WebSocket. */
#include <stddef.h>
#include <stdint.h>

#include "api/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct api_rpc_msg m;

        api_rpc_parse(data, size, &m);
        if (m.kind == API_RPC_REQUEST && m.params)
                (void)json_object_size(m.params);
        api_rpc_msg_free(&m);
        return 0;
}
