/* SPDX-License-Identifier: Apache-2.0 */
/* Parsers for sizes and numbers given by users. Pure functions, unit-tested. */
#pragma once

#include <stdint.h>

/* "512M", "10GiB", "1g", "4096" (bytes). Suffixes are binary (K = 1024).
 * Returns 0 or -EINVAL / -ERANGE. */
int al_parse_size(const char *s, uint64_t *ret_bytes);
/* Decimal unsigned integer within [min, max]. */
int al_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret);
/* "KEY=VALUE" with a valid, non-empty key (no '=' or NUL); returns 0 or -EINVAL. */
int al_parse_env_assignment(const char *s);
