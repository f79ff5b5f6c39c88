/* SPDX-License-Identifier: Apache-2.0 */
/* Scope-bound cleanup, in the manner of systemd: a variable declared with
 * _cleanup_fd_ is closed when it goes out of scope unless TAKE_FD() moved it. */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void al_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void al_freep(void *p)
{
        free(*(void **)p);
}

#define _cleanup_fd_ _cleanup_(al_closep)
#define _cleanup_free_ _cleanup_(al_freep)

#define TAKE_FD(fd)                                                                                                    \
        ({                                                                                                             \
                int _t = (fd);                                                                                         \
                (fd) = -1;                                                                                             \
                _t;                                                                                                    \
        })

#define TAKE_PTR(p)                                                                                                    \
        ({                                                                                                             \
                __typeof__(p) _t = (p);                                                                                \
                (p) = NULL;                                                                                            \
                _t;                                                                                                    \
        })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
