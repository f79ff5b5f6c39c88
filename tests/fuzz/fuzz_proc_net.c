/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: /proc/net/tcp{,6} text as airlock-init reads it for
 * listeningPorts. The sandbox's own processes shape that text (they pick
 * ports, states and how many sockets there are), so it is parsed with care:
 * whatever comes in, the counts stay within the arrays and ports within
 * 0..65535. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "init/netstat.h"

#define FUZZ_MAX 8 /* small, so that the array limit is reached often */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        unsigned long ino[FUZZ_MAX + 1];
        unsigned port[FUZZ_MAX + 1];
        FILE *f;
        size_t n;

        if (size == 0)
                return 0;
        f = fmemopen((void *)data, size, "r");
        if (!f)
                return 0;
        port[FUZZ_MAX] = 0x5EA1; /* a canary past max */
        n = init_netstat_listen(f, ino, port, size % 3, FUZZ_MAX);
        fclose(f);
        if (n > FUZZ_MAX || port[FUZZ_MAX] != 0x5EA1)
                __builtin_trap();
        for (size_t i = size % 3; i < n; i++)
                if (port[i] > 0xFFFF)
                        __builtin_trap();
        return 0;
}
