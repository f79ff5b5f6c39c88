/* SPDX-License-Identifier: Apache-2.0 */
/* The channel between airlockd and airlock-init: a stream socket carrying
 * frames. Each frame is a 12-byte little-endian header followed by the payload:
 *
 *     u32 len   payload bytes, at most AL_CHAN_MAX_PAYLOAD
 *     u16 type  enum al_msg
 *     u16 flags must be 0
 *     u32 id    process id chosen by airlockd (0 = the channel itself)
 *
 * Output flows under a window: airlock-init sends at most AL_CHAN_WINDOW bytes
 * of stdout+stderr per process that airlockd has not acknowledged with
 * AL_MSG_ACK, and stops reading that process's pipes meanwhile, so a slow
 * reader slows the writer inside the sandbox instead of growing a buffer.
 * stdin flows the same way in the other direction. Everything arriving from
 * airlock-init is hostile: the decoder checks every field. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "limits.h"

#define AL_CHAN_HDR 12u

/* The descriptors airlock-init starts with. A sandbox that outlives its
 * airlockd gets 4, 5 and 6 too; without them airlock-init ends the sandbox
 * when the channel ends (airlockd run). */
#define AL_INIT_FD_CHAN 3     /* the channel (a stream socket) */
#define AL_INIT_FD_RDV 4      /* SOCK_SEQPACKET: a new channel arrives here by SCM_RIGHTS */
#define AL_INIT_FD_RDV_PEER 5 /* its other end, kept for a restarted airlockd (pidfd_getfd) */
#define AL_INIT_FD_SLOT 6     /* the uid slot's lock: held as long as the sandbox lives */
#define AL_CHAN_VERSION 1u

enum al_msg {
        AL_MSG_HELLO = 1,       /* init -> host: u32 version */
        AL_MSG_SPAWN = 2,       /* host -> init: JSON spawn request */
        AL_MSG_STDIN = 3,       /* host -> init: bytes; empty payload closes stdin */
        AL_MSG_STDOUT = 4,      /* init -> host: bytes */
        AL_MSG_STDERR = 5,      /* init -> host: bytes */
        AL_MSG_ACK = 6,         /* either way: u32 bytes consumed of the window */
        AL_MSG_SIGNAL = 7,      /* host -> init: u32 signal, sent to the process group */
        AL_MSG_RESIZE = 8,      /* host -> init: u16 rows, u16 cols */
        AL_MSG_STARTED = 9,     /* init -> host: u32 pid inside the sandbox */
        AL_MSG_EXIT = 10,       /* init -> host: u32 kind (0 exit, 1 signal), u32 value */
        AL_MSG_ERROR = 11,      /* init -> host: u32 errno, then a message (no NUL) */
        AL_MSG_SHUTDOWN = 12,   /* host -> init: end the sandbox */
        AL_MSG_CALL_PART = 13,  /* host -> init: first pieces of a call's JSON */
        AL_MSG_CALL = 14,       /* host -> init: last piece: {"method":..,"params":..} */
        AL_MSG_REPLY_PART = 15, /* init -> host: first pieces of a reply */
        AL_MSG_REPLY = 16,      /* init -> host: last piece: {"ok":..} or {"error":..} */
        AL_MSG_MAX_,
};

enum al_exit_kind {
        AL_EXIT_CODE = 0,
        AL_EXIT_SIGNAL = 1,
};

struct al_frame {
        uint32_t len;
        uint16_t type;
        uint32_t id;
        const uint8_t *payload; /* points into the decoded buffer */
};

/* Write a header for a frame into hdr[AL_CHAN_HDR]. */
void al_chan_put_header(uint8_t *hdr, uint16_t type, uint32_t id, uint32_t len);
/* Decode one frame from buf. Returns bytes consumed (> 0), 0 when more bytes
 * are needed, or -EBADMSG (bad type or flags) / -EMSGSIZE (length over the cap). */
long al_chan_decode(const uint8_t *buf, size_t len, struct al_frame *ret);

/* Little-endian helpers for fixed payloads. */
void al_put_u32(uint8_t *p, uint32_t v);
uint32_t al_get_u32(const uint8_t *p);
void al_put_u16(uint8_t *p, uint16_t v);
uint16_t al_get_u16(const uint8_t *p);

const char *al_msg_name(uint16_t type);
