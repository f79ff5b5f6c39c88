/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <string.h>

#include "error.h"

__attribute__((format(printf, 4, 0))) static int error_vset(struct al_error *err, int code, int with_errno,
                                                            const char *fmt, va_list ap)
{
        if (code <= 0)
                code = 5 /* EIO */;
        if (err && err->code == 0) {
                int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                if (with_errno && n >= 0 && (size_t)n < sizeof(err->msg))
                        snprintf(err->msg + n, sizeof(err->msg) - (size_t)n, ": %s", strerror(code));
                err->code = code;
        }
        return -code;
}

int al_error_set(struct al_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = error_vset(err, code, 1, fmt, ap);
        va_end(ap);
        return r;
}

int al_error_setx(struct al_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = error_vset(err, code, 0, fmt, ap);
        va_end(ap);
        return r;
}

void al_error_wrap(struct al_error *err, const char *fmt, ...)
{
        char buf[AL_MAX_ERRMSG];
        va_list ap;
        int n;

        if (!err || err->code == 0)
                return;
        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n + 2 >= sizeof(buf))
                return;
        /* "prefix: old message", truncated to fit */
        memcpy(buf + n, ": ", 2);
        size_t room = sizeof(buf) - (size_t)n - 3;
        size_t old = strnlen(err->msg, sizeof(err->msg));
        if (old > room)
                old = room;
        memcpy(buf + n + 2, err->msg, old);
        buf[(size_t)n + 2 + old] = '\0';
        memcpy(err->msg, buf, sizeof(buf));
}
