/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the x-deno-sandbox-config header (base64 of Latin-1 JSON). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct al_error err = { 0 };
        char *s = malloc(size + 1);

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        json_decref(api_config_decode(s, &err));
        free(s);
        return 0;
}
