/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the first bytes of a sandbox's connection, as the proxy peeks
 * at them: the TLS ClientHello's server name and the HTTP request head. Both
 * parsers see every input; what they return must hold together. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/sni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name, size_t len)
{
        char again[NET_NAME_MAX + 1];

        if (strlen(name) != len ||
            net_name_normalize(name, again, sizeof(again)) != (int)len || strcmp(again, name))
                __builtin_trap();
}

static void fuzz_tls(const uint8_t *data, size_t size)
{
        char name[NET_NAME_MAX + 1];
        int r = net_tls_client_hello_sni(data, size, name, sizeof(name));

        if (r > 0)
                check_name(name, (size_t)r);
        else if (r != 0 && r != -EAGAIN && r != -EINVAL)
                __builtin_trap();
        /* a small buffer is said, never overrun */
        if (r > 1 && net_tls_client_hello_sni(data, size, name, (size_t)r) != -ENOSPC)
                __builtin_trap();
}

static void fuzz_http(const uint8_t *data, size_t size)
{
        struct net_http_head h;
        int r = net_http_request_head(data, size, &h);

        if (r == 0) {
                if (h.head_len < 4 || h.head_len > size || h.head_len > NET_HTTP_HEAD_MAX ||
                    memcmp(data + h.head_len - 4, "\r\n\r\n", 4) != 0 || !h.method[0] ||
                    strlen(h.host) > NET_NAME_MAX)
                        __builtin_trap();
                /* the head alone parses the same */
                struct net_http_head again;
                if (net_http_request_head(data, h.head_len, &again) != 0 ||
                    again.head_len != h.head_len || again.port != h.port ||
                    again.websocket != h.websocket || strcmp(again.host, h.host) ||
                    strcmp(again.method, h.method))
                        __builtin_trap();
        } else if (r != -EAGAIN && r != -EINVAL && r != -E2BIG) {
                __builtin_trap();
        }
        (void)net_looks_like_http(data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        fuzz_tls(data, size);
        fuzz_http(data, size);
        return 0;
}
