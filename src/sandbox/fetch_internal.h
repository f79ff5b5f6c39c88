/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by fetch.c (life, names, connections, redirects) and fetch_http.c
 * (the HTTP/1.1 exchange on one connection). Not for other modules. */
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <http_parser.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/limits.h"
#include "fetch.h"
#include "net/url.h"

enum fetch_state {
        FS_RESOLVE, /* asking the sandbox's name server */
        FS_CONNECT, /* TCP (and TLS) to the door */
        FS_HEAD,    /* request sent or being sent, waiting for the response head */
        FS_BODY,    /* answered; the body streams to the client */
        FS_VERDICT, /* reset before any answer: waiting for the egress log to say why */
};

struct fetch {
        struct fetch *next;
        struct sbx *sbx;       /* NULL once the sandbox is gone */
        struct sbx_peer *peer; /* NULL once the peer is gone */
        enum fetch_state state;
        bool dead; /* ended: freed by free_ev on the next turn of the loop */
        struct event *free_ev;
        struct event *timer; /* the verdict wait */
        json_t *rpc_id;      /* until the call is answered */
        int64_t abort_id;    /* -1: none */

        /* the request */
        char method[AL_FETCH_MAX_METHOD + 1];
        json_t *headers; /* the client's [[name, value], ...], validated */
        char url[AL_FETCH_MAX_URL + 1];
        struct net_url u;
        bool follow;
        int redirects;

        /* the request body: a client stream (-1: none) */
        int64_t body_sid;
        bool body_claimed; /* live.c pushes its data to us */
        bool body_ended, body_failed;
        struct evbuffer *body_q; /* bytes not yet handed to the connection */
        bool chunked, last_chunk_sent;

        /* the connection */
        uint16_t dns_id;
        int dns_fd, fd;      /* fd: until the bufferevent owns it */
        struct event *io_ev; /* the DNS answer, or the connect */
        struct sockaddr_storage sa;
        socklen_t sa_len;
        int64_t connect_ms; /* when we dialled (0: not yet) */
        struct bufferevent *bev;
        bool head_sent;
        bool refused; /* the egress log or the proxy said no */
        char verdict[AL_MAX_ERRMSG / 2];

        /* the response */
        http_parser hp;
        bool got_bytes, eof, paused;
        bool head_done, head_handled, msg_done, in_value, skip_body;
        int status;
        char status_text[128];
        json_t *resp_headers;       /* [[name, value], ...] for the client */
        struct al_buf field, value; /* the header line being read */
        size_t head_bytes, n_headers;
        char location[AL_FETCH_MAX_URL + 1];
        size_t location_len;  /* 0: none */
        bool location_bad;    /* longer than the cap */
        bool refusal_page;    /* the proxy's 403 (X-Airlock-Refused: 1) */
        char perr[96];        /* why a parser callback stopped the parser */
        struct evbuffer *out; /* body bytes parsed, not yet sent */
        int64_t out_sid;      /* the body's server stream, 0: none */
};

/* fetch.c */
void fetch_send(struct fetch *f, json_t *msg);
void fetch_notify(struct fetch *f, const char *method, json_t *params);
void fetch_end(struct fetch *f);
void fetch_fail(struct fetch *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fetch_fail_refused(struct fetch *f, const char *reason);
void fetch_reset_before_answer(struct fetch *f);
void fetch_resolve(struct fetch *f);
int fetch_redirect(struct fetch *f, const char *location, size_t len);

/* fetch_http.c */
int fetch_http_init(struct fetch *f);
void fetch_http_release(struct fetch *f);
/* Forget the response of the previous hop. */
void fetch_http_reset(struct fetch *f);
/* The socket f->fd is connected: wrap it (TLS for https) and send the head. */
void fetch_http_open(struct fetch *f);
/* Hand what is queued of the request body to the connection. */
void fetch_http_flush_body(struct fetch *f);
size_t fetch_body_queued(const struct fetch *f);
void fetch_http_resume(struct fetch *f);
