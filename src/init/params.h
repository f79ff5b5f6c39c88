/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Invalid UTF-8 becomes U+FFFD (Deno's TextDecoder). */
json_t *init_utf8_lossy(const uint8_t *s, size_t len);
/* "2025-01-01T00:00:00.000Z" -> timespec; -EINVAL when it is not one. */
int init_parse_iso(const char *s, struct timespec *ts);
/* {"source","flags"} as a POSIX extended regex, with \d \w \s translated. */
int init_js_regex(json_t *re, regex_t *out);
