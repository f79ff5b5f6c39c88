/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the airlock-init channel as airlockd reads it (hostile bytes
 * from inside the sandbox). Two decodings must agree: a whole buffer (as
 * airlockd run and airlock-init read) and a header first, then the frame it
 * announces (as sandbox/live.c on_chan_read does). Replies are then joined
 * from their parts under AL_MAX_CALL and parsed as live.c on_reply does.
 * The other direction, airlock-init decoding airlockd's frames and what it
 * answers, is fuzz_init. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/chan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* live.c's reading: 12 bytes, then the whole frame once it is there. */
static long decode_like_live(const uint8_t *p, size_t n, struct al_frame *f)
{
        if (n < AL_CHAN_HDR)
                return 0;
        long need = al_chan_decode(p, AL_CHAN_HDR, f);
        if (need < 0)
                return need;
        size_t total = AL_CHAN_HDR + al_get_u32(p);
        if (n < total)
                return 0;
        return al_chan_decode(p, total, f);
}

static void on_reply(struct al_buf *reply, uint32_t *reply_id, const struct al_frame *f)
{
        if (al_buf_size(reply) && *reply_id != f->id)
                al_buf_free(reply);
        *reply_id = f->id;
        if (al_buf_append(reply, f->payload, f->len) < 0) {
                if (al_buf_size(reply) > AL_MAX_CALL)
                        __builtin_trap();
                al_buf_free(reply);
                return;
        }
        if (f->type == AL_MSG_REPLY_PART)
                return;
        json_t *v = json_loadb((const char *)al_buf_head(reply), al_buf_size(reply), 0, NULL);
        if (json_is_object(v))
                (void)json_object_get(json_object_get(v, "ok"), "entries");
        json_decref(v);
        al_buf_free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct al_buf reply;
        uint32_t reply_id = 0;
        struct al_frame f, g;
        long used;

        al_buf_init(&reply, AL_MAX_CALL);
        while ((used = al_chan_decode(data, size, &f)) > 0) {
                if (f.len > AL_CHAN_MAX_PAYLOAD || (size_t)used != AL_CHAN_HDR + f.len || (size_t)used > size ||
                    f.payload != data + AL_CHAN_HDR)
                        __builtin_trap();
                if (decode_like_live(data, size, &g) != used || g.type != f.type || g.id != f.id || g.len != f.len)
                        __builtin_trap();
                if (f.type == AL_MSG_REPLY || f.type == AL_MSG_REPLY_PART)
                        on_reply(&reply, &reply_id, &f);
                else if (f.len >= 4)
                        (void)al_get_u32(f.payload + f.len - 4);
                (void)al_msg_name(f.type);
                data += used;
                size -= (size_t)used;
        }
        /* where the whole-buffer decoder stops or refuses, so does live.c's */
        if (decode_like_live(data, size, &g) != used)
                __builtin_trap();
        al_buf_free(&reply);
        return 0;
}
