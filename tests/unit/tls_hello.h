/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: a real ClientHello, as OpenSSL's client writes it. Kept in its
 * own library so that only the tests that need it link libssl. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The first flight of a TLS client (sni NULL: no server_name), at most
 * max_version (0: OpenSSL's default), into out. Returns its length, or 0. */
size_t test_tls_client_hello(const char *sni, int max_version, uint8_t *out, size_t cap);
