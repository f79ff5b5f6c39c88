/* SPDX-License-Identifier: Apache-2.0 */
/* airlockd's log: one line per event on stderr, logfmt (the default) or JSON
 * with the same keys. Values are escaped and capped (AL_LOG_MAX_VALUE): many
 * come from a client or a sandbox. Libraries and codecs do not log; the layer
 * that decides does, once. Not thread-safe (airlockd is one event loop). */
#pragma once

#include <stdbool.h>

enum al_log_level {
        AL_LOG_DEBUG,
        AL_LOG_INFO,
        AL_LOG_WARN,
        AL_LOG_ERROR
};

void al_log_set_format(bool json); /* default logfmt */
void al_log_set_level(enum al_log_level min);
/* key/value pairs, each a const char *, NULL-terminated:
   al_log(AL_LOG_INFO, "sandbox", "created", "id", id, "ms", "12", NULL);
   A NULL value is logged as an empty one. */
void al_log(enum al_log_level lvl, const char *component, const char *msg, ...) __attribute__((sentinel));
/* "debug", "info", "warn", "error" to a level; -EINVAL for anything else. */
int al_log_level_parse(const char *name, enum al_log_level *ret);
