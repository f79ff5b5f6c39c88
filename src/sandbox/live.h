/* SPDX-License-Identifier: Apache-2.0 */
/* Live sandboxes as the API sees them: each owns a runtime sandbox and the
 * channel to its airlock-init, and relays JSON-RPC calls from its WebSocket
 * peers into frames and back. It parses nothing from inside the sandbox but
 * frame headers and size-capped JSON replies (ARCHITECTURE rule 3). */
#pragma once

#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"
#include "store/store.h"

/* A WebSocket connection, as a sandbox sees it. */
struct sbx_peer {
        void (*send)(struct sbx_peer *p, json_t *msg); /* takes ownership of msg */
        size_t (*backlog)(struct sbx_peer *p);         /* bytes queued toward the client */
        void (*close)(struct sbx_peer *p, int code, const char *reason);
};

struct sbx;

struct sbx *sbx_create(struct event_base *base, const struct rt_config *cfg, int64_t stop_at_ms, struct al_error *err);
struct sbx *sbx_find(const char *id);
unsigned sbx_count(void);
const char *sbx_id(const struct sbx *s);
int64_t sbx_stop_at(const struct sbx *s);
int sbx_set_stop_at(struct sbx *s, int64_t stop_at_ms);
void sbx_attach(struct sbx *s, struct sbx_peer *p, bool primary);
/* The peer is gone; a session sandbox goes with its primary peer. */
void sbx_detach(struct sbx *s, struct sbx_peer *p);
/* A JSON-RPC request (id is borrowed) or a client stream notification. */
void sbx_rpc(struct sbx *s, struct sbx_peer *p, json_t *id, const char *method, json_t *params);
void sbx_stream_note(struct sbx *s, struct sbx_peer *p, const char *method, json_t *params);
/* The peer's output queue drained: let held-back output flow again. */
void sbx_peer_drained(struct sbx *s, struct sbx_peer *p);
/* Kill it: every peer is closed with code, the sandbox removed. */
void sbx_kill(struct sbx *s, int code, const char *reason);
void sbx_kill_all(void);
/* Close every peer (1001) and let the sandboxes run on for the next start. */
void sbx_release_all(void);
void sbx_set_labels(struct sbx *s, json_t *labels);
/* Before a sandbox is made: its row, owned by token_id, marked pending, so
 * that a crash while it is being made leaves a record the next start acts on
 * (it kills whatever runs in the sandbox's cgroup). */
int sbx_record_pending(struct store *st, const char *id, const char *token_id, json_t *labels, struct al_error *err);
/* Once it runs, before the client hears of it: its state (copied, with
 * airlock-init's pid and start time added) replaces the pending mark. From
 * then on its end is recorded too. */
int sbx_record(struct sbx *s, struct store *st, const char *token_id, json_t *labels, json_t *state,
               struct al_error *err);
/* Take back a recorded sandbox after a restart. A session sandbox (no stop
 * time) ends after grace_ms unless a client connects: that one owns it. */
struct sbx *sbx_adopt(struct event_base *base, struct store *st, const struct store_sandbox *rec, unsigned grace_ms,
                      struct al_error *err);
bool sbx_adopted(const struct sbx *s);
/* An adopted session sandbox waiting for its client: the caller's peer
 * takes the creator's place (attach it as primary). False otherwise. */
bool sbx_claim_session(struct sbx *s);
/* A key of the state kept for the next airlockd (exposures, SSH user):
 * written through to the store. set steals value. */
json_t *sbx_state_get(const struct sbx *s, const char *key);
int sbx_state_set(struct sbx *s, const char *key, json_t *value);
const char *sbx_token_id(const struct sbx *s);
/* Called with the id of every sandbox that ends (not one released). */
void sbx_set_gone_hook(void (*fn)(const char *id));
const struct rt_sandbox *sbx_rt(const struct sbx *s);
void sbx_env_set(struct sbx *s, const char *key, const char *value);
/* The egress log: one record per connection, from airlock-proxy. */
void sbx_netlog_add(struct sbx *s, json_t *rec); /* steals rec */
json_t *sbx_netlog(const struct sbx *s);

/* A client→server stream read by another module (a fetch's request body):
 * what was buffered and what comes later is pushed to the sink; on_end
 * comes once, after which the stream is gone. -EBUSY if another consumer
 * has it, -EAGAIN past the cap on streams. */
struct sbx_in_sink {
        void (*on_data)(void *arg, const uint8_t *p, size_t n);
        void (*on_end)(void *arg, bool failed);
};
int sbx_in_claim(struct sbx *s, struct sbx_peer *p, int64_t sid, const struct sbx_in_sink *sink, void *arg);
/* Not wanted any more: what still comes for it is dropped. */
void sbx_in_release(struct sbx *s, struct sbx_peer *p, int64_t sid, void *arg);
struct event_base *sbx_base(const struct sbx *s);
/* A server→client stream id, from the one server-wide counter. */
int64_t sbx_stream_id_new(void);

/* A process driven by another module (an SSH session) instead of a
 * WebSocket peer, spawned with airlock-init's own request
 * ({"argv","user","tty","rows","cols","stdin","envObj"}). Output goes to
 * on_output and is acknowledged with sbx_proc_ack once it has gone on (the
 * window holds the process meanwhile); on_exit or on_failed comes once. The
 * owner must be attached: when it detaches, the sink is forgotten. */
struct sbx_proc_sink {
        void (*on_output)(void *arg, bool is_stderr, const uint8_t *p, size_t n);
        void (*on_stdin_credit)(void *arg);
        void (*on_exit)(void *arg, int code, int signo); /* code is 128+signo when signaled */
        void (*on_failed)(void *arg, int err, const char *msg);
};
int sbx_proc_spawn(struct sbx *s, struct sbx_peer *owner, json_t *req, const struct sbx_proc_sink *sink, void *arg,
                   uint32_t *ret_id);
/* Bytes taken within the stdin window (the rest: after on_stdin_credit); n == 0 closes stdin. */
size_t sbx_proc_write(struct sbx *s, uint32_t id, const uint8_t *p, size_t n);
void sbx_proc_ack(struct sbx *s, uint32_t id, uint32_t n);
void sbx_proc_resize(struct sbx *s, uint32_t id, unsigned rows, unsigned cols);
void sbx_proc_signal(struct sbx *s, uint32_t id, int sig);
void sbx_proc_release(struct sbx *s, uint32_t id);

/* For the Deno methods (deno.c). sbx_spawn is `spawn` with keys added to
 * airlock-init's request and to the result; it answers the client itself
 * (also on failure, then returning -errno) and gives the channel id. */
int sbx_spawn(struct sbx *s, struct sbx_peer *p, json_t *id, json_t *params, json_t *req_extra, json_t *result_extra,
              uint32_t *ret_chan);
int sbx_call(struct sbx *s, const char *method, json_t *params,
             void (*done)(struct sbx *s, uint64_t arg, json_t *reply), uint64_t arg);
int sbx_proc_adopt(struct sbx *s, struct sbx_peer *owner, uint32_t id, const struct sbx_proc_sink *sink, void *arg);
uint32_t sbx_chan_id_new(struct sbx *s);
int sbx_proc_state(struct sbx *s, int64_t pid);

/* Answer a client's request (id borrowed; value stolen). */
void sbx_reply_ok(struct sbx_peer *p, json_t *id, json_t *value);
void sbx_reply_err(struct sbx_peer *p, json_t *id, int code, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Helpers shared with the API layer. */
json_t *sbx_error_object(const char *cls, const char *message, const char *code);
json_t *sbx_rpc_result(json_t *id, json_t *result); /* steals result */
