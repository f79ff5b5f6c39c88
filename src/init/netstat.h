/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One line of /proc/net/tcp or tcp6: true, with the socket's inode and local
 * port, when it is a LISTEN socket (state 0A) with a port in 0..65535. */
bool init_netstat_listen_line(const char *line, unsigned long *ret_inode, unsigned *ret_port);
/* Appends the LISTEN sockets of one table's text to ino[n..max), port[n..max);
 * returns the new count. Reads f to its end or until the arrays are full. */
size_t init_netstat_listen(FILE *f, unsigned long *ino, unsigned *port, size_t n, size_t max);
