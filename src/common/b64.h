/* SPDX-License-Identifier: Apache-2.0 */
/* Standard, padded base64 (the SDK's byte codec), over OpenSSL's block codec. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Returns a NUL-terminated string (free()) or NULL on allocation failure. */
char *al_b64_encode(const uint8_t *data, size_t len, size_t *ret_len);
/* Decodes strictly (padding required, no whitespace). Returns 0 and a malloc()ed
 * buffer, -EINVAL for bad input, -E2BIG beyond max. */
int al_b64_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len);
