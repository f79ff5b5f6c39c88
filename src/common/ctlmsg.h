/* SPDX-License-Identifier: Apache-2.0 */
/* Control messages between airlockd and airlock-proxy: one JSON object per
 * SOCK_SEQPACKET packet, with file descriptors passed alongside. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "error.h"

#define AL_CTL_MAX_MSG (128u * 1024u) /* one control message */
#define AL_CTL_MAX_FDS 4

/* Send msg (borrowed) with nfds descriptors (still owned by the caller). */
int al_ctl_send(int fd, json_t *msg, const int *fds, size_t nfds, struct al_error *err);
/* Receive one message; descriptors that came with it land in fds (close-on-exec)
 * and their number in *ret_nfds. 0 with *ret = NULL is end-of-file. */
int al_ctl_recv(int fd, json_t **ret, int fds[AL_CTL_MAX_FDS], size_t *ret_nfds, struct al_error *err);
