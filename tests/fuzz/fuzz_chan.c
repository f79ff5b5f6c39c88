/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the airlock-init channel as airlockd decodes it (hostile bytes). */
#include <stddef.h>
#include <stdint.h>

#include "common/chan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct al_frame f;
        long used;

        while ((used = al_chan_decode(data, size, &f)) > 0) {
                if (f.len > AL_CHAN_MAX_PAYLOAD || (size_t)used > size)
                        __builtin_trap();
                if (f.len >= 4)
                        (void)al_get_u32(f.payload + f.len - 4);
                data += used;
                size -= (size_t)used;
        }
        return 0;
}
