/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the HTTP request parser, fed in pieces whose sizes come from the input. */
#include <stddef.h>
#include <stdint.h>

#include "api/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct api_http_req r;
        size_t off = 0, step = size ? (size_t)data[0] % 64 + 1 : 1;
        bool ready = false;

        api_http_req_init(&r);
        r.pause_at_headers = size && (data[0] & 0x80); /* as the server does: stop at the head */
        while (off < size && !ready) {
                size_t n = size - off < step ? size - off : step;
                long used = api_http_req_feed(&r, (const char *)data + off, n, &ready);
                if (used < 0)
                        break;
                off += (size_t)used;
                if (r.head_paused) {
                        (void)r.host;
                        api_http_req_resume(&r);
                        continue;
                }
                if ((size_t)used < n)
                        break;
        }
        if (ready)
                (void)api_http_req_is_websocket(&r);
        api_http_req_free(&r);
        return 0;
}
