/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "chan.h"

void al_put_u32(uint8_t *p, uint32_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
}

uint32_t al_get_u32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void al_put_u16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

uint16_t al_get_u16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

void al_chan_put_header(uint8_t *hdr, uint16_t type, uint32_t id, uint32_t len)
{
        al_put_u32(hdr, len);
        al_put_u16(hdr + 4, type);
        al_put_u16(hdr + 6, 0);
        al_put_u32(hdr + 8, id);
}

long al_chan_decode(const uint8_t *buf, size_t len, struct al_frame *ret)
{
        uint32_t plen;
        uint16_t type;

        if (len < AL_CHAN_HDR)
                return 0;
        plen = al_get_u32(buf);
        type = al_get_u16(buf + 4);
        if (type == 0 || type >= AL_MSG_MAX_ || al_get_u16(buf + 6) != 0)
                return -EBADMSG;
        if (plen > AL_CHAN_MAX_PAYLOAD)
                return -EMSGSIZE;
        if (len - AL_CHAN_HDR < plen)
                return 0;
        ret->len = plen;
        ret->type = type;
        ret->id = al_get_u32(buf + 8);
        ret->payload = buf + AL_CHAN_HDR;
        return (long)(AL_CHAN_HDR + plen);
}

const char *al_msg_name(uint16_t type)
{
        static const char *const names[AL_MSG_MAX_] = {
                [AL_MSG_HELLO] = "hello",         [AL_MSG_SPAWN] = "spawn",   [AL_MSG_STDIN] = "stdin",
                [AL_MSG_STDOUT] = "stdout",       [AL_MSG_STDERR] = "stderr", [AL_MSG_ACK] = "ack",
                [AL_MSG_SIGNAL] = "signal",       [AL_MSG_RESIZE] = "resize", [AL_MSG_STARTED] = "started",
                [AL_MSG_EXIT] = "exit",           [AL_MSG_ERROR] = "error",   [AL_MSG_SHUTDOWN] = "shutdown",
                [AL_MSG_CALL_PART] = "call-part", [AL_MSG_CALL] = "call",     [AL_MSG_REPLY_PART] = "reply-part",
                [AL_MSG_REPLY] = "reply",
        };
        return type < AL_MSG_MAX_ && names[type] ? names[type] : "unknown";
}
