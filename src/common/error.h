/* SPDX-License-Identifier: Apache-2.0 */
/* An error a user will see: filled once where it happens, context added by callers. */
#pragma once

#include <stdarg.h>

#include "limits.h"

struct al_error {
        int code; /* positive errno */
        char msg[AL_MAX_ERRMSG];
};

/* Fill err (if not yet set) with "fmt: strerror(code)" and return -code. */
int al_error_set(struct al_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Fill err without appending strerror. */
int al_error_setx(struct al_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefix context: "ctx: previous message". */
void al_error_wrap(struct al_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
