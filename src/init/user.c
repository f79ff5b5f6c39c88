/* SPDX-License-Identifier: Apache-2.0 */
/* /etc/passwd lookup without NSS (airlock-init is static). The file belongs
 * to the sandbox, so it is read with a size cap and parsed defensively. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "init.h"

static char *read_capped(const char *path)
{
        _cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        char *buf;
        size_t len = 0;

        if (fd < 0)
                return NULL;
        buf = malloc(AL_MAX_PASSWD_BYTES + 1);
        if (!buf)
                return NULL;
        while (len < AL_MAX_PASSWD_BYTES) {
                ssize_t n = read(fd, buf + len, AL_MAX_PASSWD_BYTES - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        buf[len] = '\0';
        return buf;
}

/* Split one passwd line into its 7 fields in place. */
static int split_fields(char *line, char *f[7])
{
        int n = 0;
        f[n++] = line;
        for (char *p = line; *p && n < 7; p++)
                if (*p == ':') {
                        *p = '\0';
                        f[n++] = p + 1;
                }
        return n == 7 ? 0 : -EINVAL;
}

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

int init_user_lookup(const char *want, struct init_user *ret)
{
        _cleanup_free_ char *data = read_capped("/etc/passwd");
        bool by_uid = all_digits(want);
        char *save = NULL;

        if (by_uid && strtoul(want, NULL, 10) >= AL_UID_RANGE)
                return -EINVAL;
        if (data) {
                for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                        char *f[7];
                        if (split_fields(line, f) < 0 || !all_digits(f[2]) || !all_digits(f[3]))
                                continue;
                        if (by_uid ? strcmp(f[2], want) != 0 : strcmp(f[0], want) != 0)
                                continue;
                        ret->uid = (uid_t)strtoul(f[2], NULL, 10);
                        ret->gid = (gid_t)strtoul(f[3], NULL, 10);
                        snprintf(ret->name, sizeof(ret->name), "%s", f[0]);
                        snprintf(ret->home, sizeof(ret->home), "%s", f[5][0] ? f[5] : "/");
                        snprintf(ret->shell, sizeof(ret->shell), "%s", f[6][0] ? f[6] : "/bin/sh");
                        return 0;
                }
        }
        if (!by_uid)
                return -ENOENT;
        /* A numeric uid without an entry still runs, as in containers. */
        ret->uid = ret->gid = (uid_t)strtoul(want, NULL, 10);
        snprintf(ret->name, sizeof(ret->name), "%s", want);
        snprintf(ret->home, sizeof(ret->home), "/");
        snprintf(ret->shell, sizeof(ret->shell), "/bin/sh");
        return 0;
}
