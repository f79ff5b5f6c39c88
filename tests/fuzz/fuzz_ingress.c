/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: exposure names from Host headers and SNI (client bytes), against
 * a base host taken from the input too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api/ingress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char buf[512], label[API_INGRESS_LABEL_MAX + 1];
        const char *base = "sandbox.localhost";
        char *nl;

        if (size >= sizeof(buf))
                size = sizeof(buf) - 1;
        memcpy(buf, data, size);
        buf[size] = '\0';
        nl = strchr(buf, '\n'); /* "host\nbase" picks the base as well */
        if (nl) {
                *nl = '\0';
                base = nl + 1;
        }
        if (api_ingress_label(buf, base, label) > 0 && strlen(label) > API_INGRESS_LABEL_MAX)
                __builtin_trap();
        return 0;
}
