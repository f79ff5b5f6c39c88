/* SPDX-License-Identifier: Apache-2.0 */
/* Secret substitution on an intercepted HTTP/1.x connection, as pure byte
 * transforms (no event loop: the proxy, the tests and the fuzzer drive them
 * alike). The sandbox only ever holds a placeholder; toward the secret's host
 * the request rewriter puts the real value in the request head, and the
 * redactor masks the value in everything the host sends back.
 *
 * What redaction cannot catch: a value the host sends back transformed
 * (escaped, encoded, compressed against our request, or split over several
 * responses, e.g. by Range requests) no longer matches and passes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define NET_PLACEHOLDER_PREFIX "AIRLOCK_SECRET_"
#define NET_PLACEHOLDER_PREFIX_LEN 15
#define NET_PLACEHOLDER_LEN (NET_PLACEHOLDER_PREFIX_LEN + 32) /* prefix + 32 lowercase hex */
#define NET_SECRET_MAX_VALUE (16u * 1024u)
#define NET_REQ_MAX_HEAD (64u * 1024u)      /* a request head as the sandbox sent it */
#define NET_REQ_MAX_HEAD_OUT (256u * 1024u) /* the same head with the values in */

/* Where rewritten and redacted bytes go. Returns >= 0, or < 0 to stop the
 * feed, which then returns that value. */
typedef int (*net_emit_fn)(void *ctx, const void *p, size_t n);

struct net_secret {
        char placeholder[NET_PLACEHOLDER_LEN + 1];
        char *value; /* NUL-terminated, 1..NET_SECRET_MAX_VALUE bytes; owned by whoever set it */
};

/* NET_PLACEHOLDER_PREFIX + 32 random lowercase hex digits. 0 or -EIO. */
int net_secret_placeholder_new(char out[NET_PLACEHOLDER_LEN + 1]);
/* Check placeholder's form and value (no control characters other than tab,
 * so it can sit in a header) and copy both into s. */
int net_secret_set(struct net_secret *s, const char *placeholder, const char *value, struct al_error *err);
/* Wipe and free the value. */
void net_secret_clear(struct net_secret *s);

/* Client -> upstream. For each HTTP/1.x request: the head (at most
 * NET_REQ_MAX_HEAD) is buffered, every placeholder in the request line and in
 * header values is replaced with its value (in the request line only values
 * made of URI characters are accepted), Accept-Encoding and TE headers are
 * removed so responses come back uncompressed and can be redacted, header
 * names must be tokens (no "Accept-Encoding :" for a lenient host), and the body
 * passes untouched, placeholders and all (so do chunk trailers). Messages are
 * framed with http-parser, so keep-alive and pipelined requests are each
 * rewritten.
 *
 * What cannot be framed is an error, sticky: HTTP/2 (preface or version),
 * CONNECT, a malformed or oversized head. An Upgrade request (WebSocket,
 * h2c) is rewritten, then everything after it passes raw, unrewritten: the
 * bytes are no longer HTTP/1, and a placeholder left in them reaches the host
 * as a placeholder, which leaks nothing. The response side stays redacted.
 *
 * secrets are borrowed: they and their values must outlive the rewriter. */
struct net_req_rewriter;

struct net_req_rewriter *net_req_rewriter_new(const struct net_secret *secrets, size_t n, net_emit_fn emit, void *ctx);
/* 0, or -errno: -E2BIG (head too large), -EBADMSG (malformed),
 * -EPROTONOSUPPORT (HTTP/2, CONNECT), -EINVAL (a value unfit for a request
 * line), -ENOMEM, or what emit returned. */
int net_req_rewriter_feed(struct net_req_rewriter *r, const void *p, size_t n);
/* Why the last feed failed, for a log line; "" when it did not. */
const char *net_req_rewriter_error(const struct net_req_rewriter *r);
void net_req_rewriter_free(struct net_req_rewriter *r);

/* Upstream -> client: every byte inside an occurrence of a secret's value
 * (occurrences may overlap or share prefixes) becomes '*', so lengths, and
 * with them Content-Length and chunk sizes, stay right. At most the longest
 * value's length - 1 bytes are held back between feeds. Values are borrowed
 * like the rewriter's. */
struct net_redactor;

struct net_redactor *net_redactor_new(const struct net_secret *secrets, size_t n, net_emit_fn emit, void *ctx);
int net_redactor_feed(struct net_redactor *d, const void *p, size_t n);
/* End of stream: emit what was held back. The redactor can then start over. */
int net_redactor_flush(struct net_redactor *d);
void net_redactor_free(struct net_redactor *d);
