/* SPDX-License-Identifier: Apache-2.0 */
/* The first bytes of a sandbox's connection: the server name of a TLS
 * ClientHello, or the head of an HTTP/1.x request. Pure and allocation-free;
 * the proxy peeks with them before it dials, and the fuzzer drives them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define NET_TLS_HELLO_MAX (16u * 1024u)  /* a ClientHello handshake message, header included */
#define NET_TLS_RECORD_MAX (16u * 1024u) /* a TLS plaintext record's payload (RFC 8446 5.1) */
#define NET_HTTP_HEAD_MAX (64u * 1024u)  /* request line and headers, CRLFCRLF included */
#define NET_HTTP_METHOD_MAX 16

/* The host name a ClientHello asks for (server_name, host_name type),
 * normalized into out. The ClientHello may span several handshake records.
 * Returns the name's length (> 0), 0 for a complete ClientHello without one,
 * -EAGAIN when more bytes are needed, -EINVAL for something that is not a
 * TLS ClientHello, is malformed, or is larger than NET_TLS_HELLO_MAX, and
 * -ENOSPC when the name does not fit cap. */
int net_tls_client_hello_sni(const uint8_t *buf, size_t len, char *out, size_t cap);

struct net_http_head {
        char method[NET_HTTP_METHOD_MAX + 1];
        /* From the Host header: a normalized name, or an IP literal in
         * canonical form (IPv6 without its brackets); empty when there is
         * no Host header or it is empty. */
        char host[NET_NAME_MAX + 1];
        uint16_t port;   /* the Host header's port, 0 when it has none */
        size_t head_len; /* bytes up to and including the blank line */
        bool websocket;  /* Upgrade: websocket with Connection: upgrade */
};

/* Parse an HTTP/1.x request head. Returns 0, -EAGAIN before the blank line
 * (CRLFCRLF), -E2BIG when none comes within NET_HTTP_HEAD_MAX bytes, and
 * -EINVAL for a request line other than "METHOD SP target SP HTTP/1.x", a
 * malformed header line (bare LF, folded, space before the colon, control
 * bytes), several Host headers or a bad one. ret is written only on success. */
int net_http_request_head(const uint8_t *buf, size_t len, struct net_http_head *ret);

/* Whether buf starts with, or is the start of, a known HTTP method and a
 * space ("GET ", "PATCH "...). False for no bytes. */
bool net_looks_like_http(const uint8_t *buf, size_t len);
