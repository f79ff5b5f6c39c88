/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: WebSocket framing as the server receives it (wslay, with our
 * message cap), every message then through the JSON-RPC envelope parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wslay/wslay.h>

#include "api/rpc.h"

struct feed {
        const uint8_t *data;
        size_t size, off;
};

static ssize_t on_recv(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
        struct feed *f = user;
        size_t n = f->size - f->off;

        if (n == 0) {
                wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
                return -1;
        }
        if (n > len)
                n = len;
        memcpy(buf, f->data + f->off, n);
        f->off += n;
        return (ssize_t)n;
}

static ssize_t on_send(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user)
{
        return (ssize_t)len; /* replies go nowhere */
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
        struct api_rpc_msg m;

        if (arg->opcode != WSLAY_TEXT_FRAME && arg->opcode != WSLAY_BINARY_FRAME)
                return;
        api_rpc_parse(arg->msg, arg->msg_length, &m);
        api_rpc_msg_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const struct wslay_event_callbacks cb = {
                .recv_callback = on_recv, .send_callback = on_send, .on_msg_recv_callback = on_msg,
        };
        struct feed f = { data, size, 0 };
        wslay_event_context_ptr ctx;

        if (wslay_event_context_server_init(&ctx, &cb, &f) != 0)
                return 0;
        wslay_event_config_set_max_recv_msg_length(ctx, 1 << 20);
        for (int i = 0; i < 64 && f.off < f.size; i++)
                if (wslay_event_recv(ctx) != 0)
                        break;
        (void)wslay_event_send(ctx);
        wslay_event_context_free(ctx);
        return 0;
}
