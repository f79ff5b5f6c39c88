/* SPDX-License-Identifier: Apache-2.0 */
/* airlockd's metrics, rendered for GET /metrics in the Prometheus text
 * exposition format 0.0.4. Every label takes its values from a fixed list
 * (an RPC method outside it counts as "other"), so the output stays small
 * whatever clients send. Not thread-safe: airlockd is one event loop. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The whole text, malloc'd (NULL when out of memory). */
char *api_metrics_render(void);

/* Live sandboxes (a gauge, set whenever the count changes). */
void api_metrics_live_set(unsigned n);
/* Sandboxes adopted from an earlier airlockd at start-up. */
void api_metrics_adopted_set(unsigned n);

/* A monotonic clock for create latency, in nanoseconds. */
uint64_t api_metrics_clock_ns(void);
/* One sandbox create answered: ok (upgraded to a WebSocket) or not; the
 * latency histogram takes successful creates only (failures are quick and
 * would hide them). */
void api_metrics_create_done(uint64_t start_ns, bool ok);

/* A JSON-RPC request from a client, identified by its id object (the same
 * json_t the reply is built with), and its reply. A reply whose request
 * was not seen counts under method "other". */
void api_metrics_rpc_begin(const json_t *id, const char *method);
void api_metrics_rpc_done(const json_t *id, const json_t *result);

/* A process ended: result is processWait's answer for it (taken, freed);
 * its "oom" key counts an OOM kill. */
void api_metrics_process_exit(json_t *wait_result);

/* One egress log record from airlock-proxy ({decision, bytes_out, bytes_in}). */
void api_metrics_egress(const json_t *rec);

/* Exposed for tests: the Prometheus escaping of a label value (quote,
 * backslash, newline) or, with help set, of a HELP text (backslash, newline). */
void api_metrics_escape(const char *in, bool help, char *out, size_t len);
