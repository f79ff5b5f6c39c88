/* SPDX-License-Identifier: Apache-2.0 */
/* http and https URLs, as far as an HTTP client needs them: split an
 * absolute URL into what it dials and what it asks for, and resolve a
 * redirect's Location against the URL it answered (RFC 3986, section 5).
 * Pure and allocation-free, for the fetch RPC and its fuzzer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/limits.h"
#include "policy.h"

struct net_url {
        bool https;
        bool ipv6;                         /* host is an IPv6 literal (kept without brackets) */
        bool ip;                           /* host is an IPv4 or IPv6 literal */
        char host[NET_NAME_MAX + 2];       /* lower case; a trailing dot is kept */
        uint16_t port;                     /* given, or the scheme's */
        bool port_given;                   /* the URL names a port, even the default one */
        char target[AL_FETCH_MAX_URL + 1]; /* path and query: the request-target, never empty */
};

/* Parse an absolute http: or https: URL (ASCII, no user info, no spaces or
 * control bytes). ret is written only on success; -EINVAL otherwise,
 * -EPROTONOSUPPORT for another scheme, -ENAMETOOLONG past the caps. */
int net_url_parse(const char *url, struct net_url *ret);

/* Resolve ref (a Location value: absolute, scheme-relative, absolute-path
 * or relative) against the absolute URL base, into out (NUL-terminated).
 * Bytes outside printable ASCII in ref are percent-encoded and '\' in its
 * path read as '/', as browsers do; the fragment is dropped. Returns the
 * length, -ENAMETOOLONG if out is too small, -EINVAL. */
long net_url_resolve(const char *base, const char *ref, size_t ref_len, char *out, size_t cap);

/* "Host" header value for u: the host (bracketed for IPv6) and ":port"
 * when the URL named a port other than the scheme's. */
int net_url_host_header(const struct net_url *u, char *out, size_t cap);

/* Same scheme, host and port. */
bool net_url_same_origin(const struct net_url *a, const struct net_url *b);
