/* SPDX-License-Identifier: Apache-2.0 */
/* The parser of /proc/net/tcp{,6} text, for listeningPorts (deno.c). Pure:
 * it reads a stream it is given, so the fuzzer drives it with any text. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netstat.h"

#define NETSTAT_LINE_MAX 512
#define NETSTAT_STATE_LISTEN 0x0A

bool init_netstat_listen_line(const char *line, unsigned long *ret_inode, unsigned *ret_port)
{
        char local[128], *colon, *end;
        unsigned st;
        unsigned long inode, port;

        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*s %127s %*s %x %*s %*s %*s %*s %*s %lu", local, &st, &inode) != 3 ||
            st != NETSTAT_STATE_LISTEN)
                return false;
        colon = strrchr(local, ':');
        if (!colon || !colon[1])
                return false;
        errno = 0;
        port = strtoul(colon + 1, &end, 16);
        if (errno || *end || port > 0xFFFF)
                return false;
        *ret_inode = inode;
        *ret_port = (unsigned)port;
        return true;
}

size_t init_netstat_listen(FILE *f, unsigned long *ino, unsigned *port, size_t n, size_t max)
{
        char line[NETSTAT_LINE_MAX];

        while (n < max && fgets(line, sizeof(line), f)) {
                size_t len = strlen(line);
                bool whole = len > 0 && line[len - 1] == '\n';
                if (init_netstat_listen_line(line, &ino[n], &port[n]))
                        n++;
                /* a line longer than the buffer: skip its rest rather than
                 * parse the tail as a line of its own */
                while (!whole && len == sizeof(line) - 1 && fgets(line, sizeof(line), f)) {
                        len = strlen(line);
                        whole = len > 0 && line[len - 1] == '\n';
                }
        }
        return n;
}
