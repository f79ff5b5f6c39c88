/* SPDX-License-Identifier: Apache-2.0 */
/* The other side of dns.h: a stub resolver's A query and the reading of its
 * answer, for airlockd's fetch, which asks the sandbox's own name server (the
 * door) exactly as code inside does. Pure and allocation-free. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* An A/IN query for name (a host name, a trailing dot allowed) with RD set.
 * Returns its length, -EINVAL for a name that is not a host name, -ENOSPC
 * if cap is too small (NET_DNS_MAX_REPLY suffices). */
ssize_t net_dns_stub_query(uint16_t id, const char *name, uint8_t *out, size_t cap);

/* Read the answer to query id: the first A/IN record's address into
 * ret_ipv4. -ESRCH: not an answer to id (ignore it and keep waiting);
 * -ENOENT: NXDOMAIN; -ENODATA: no A record; -EIO: another error code;
 * -EINVAL: malformed. */
int net_dns_stub_answer(const uint8_t *msg, size_t len, uint16_t id, uint8_t ret_ipv4[4]);
