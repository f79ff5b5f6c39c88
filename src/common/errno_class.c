/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stddef.h>

#include "errno_class.h"

static const struct {
        int code;
        const char *name;
} classes[] = {
        { ENOENT, "NotFound" },
        { EACCES, "PermissionDenied" },
        { EPERM, "PermissionDenied" },
        { EEXIST, "AlreadyExists" },
        { EISDIR, "IsADirectory" },
        { ENOTDIR, "NotADirectory" },
        { ELOOP, "FilesystemLoop" },
        { EBADF, "BadResource" },
        { EBUSY, "Busy" },
        { ENOTSUP, "NotSupported" },
        { ENOSYS, "NotSupported" },
        { EPIPE, "BrokenPipe" },
        { ECONNREFUSED, "ConnectionRefused" },
        { ECONNRESET, "ConnectionReset" },
        { ECONNABORTED, "ConnectionAborted" },
        { ENOTCONN, "NotConnected" },
        { EADDRINUSE, "AddrInUse" },
        { EADDRNOTAVAIL, "AddrNotAvailable" },
        { ETIMEDOUT, "TimedOut" },
        { EINTR, "Interrupted" },
        { EAGAIN, "WouldBlock" },
        { ENETUNREACH, "NetworkUnreachable" },
        { EINVAL, "TypeError" },
};

const char *al_errno_class(int code)
{
        for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
                if (classes[i].code == code)
                        return classes[i].name;
        return "Error";
}
