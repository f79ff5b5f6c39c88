/* SPDX-License-Identifier: Apache-2.0 */
/* The fetch RPC: an HTTP/1.1 request made from inside a sandbox's network.
 * Names are asked of the sandbox's own name server and connections made from
 * sockets in its namespace, so airlock-proxy applies the sandbox's allowNet,
 * swaps its secrets and writes its egress log exactly as for code inside.
 * The request body comes as a client stream, the response body goes back as
 * a server stream. live.c calls these hooks; each fetch belongs to one
 * sandbox and one peer and ends with either. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "live.h"

/* Answer comes when the response head arrives, or with an error. */
void fetch_start(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params);
/* The client's abort for abortId: the call or its body stream fails with an AbortError. */
void fetch_abort(struct sbx *s, struct sbx_peer *p, int64_t abort_id);
/* The client cancelled a stream; if it is a fetch's body, that fetch ends. */
void fetch_stream_cancel(struct sbx *s, struct sbx_peer *p, int64_t stream_id);
/* The peer's output queue drained: paused fetches read their upstream again. */
void fetch_peer_drained(struct sbx *s, struct sbx_peer *p);
/* The peer or the whole sandbox is going: their fetches end, silently. */
void fetch_peer_gone(struct sbx *s, struct sbx_peer *p);
void fetch_sbx_gone(struct sbx *s);
/* A record was added to the sandbox's egress log (borrowed): a fetch whose
 * connection was reset learns from it whether the proxy refused it, and why. */
void fetch_netlog_note(struct sbx *s, json_t *rec);
