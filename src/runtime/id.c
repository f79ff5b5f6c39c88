/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "runtime.h"

/* The SDK's alphabet: digits and lowercase letters without i, l, o. */
static const char id_alphabet[] = "0123456789abcdefghjkmnpqrstuvwxyz";

int rt_id_generate(const char *region, char ret[RT_ID_LEN + 1])
{
        unsigned char rnd[20];

        if (strlen(region) != 3)
                return -EINVAL;
        if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
                return -EIO;
        memcpy(ret, "sbx_", 4);
        memcpy(ret + 4, region, 3);
        ret[7] = '_';
        for (size_t i = 0; i < sizeof(rnd); i++)
                ret[8 + i] = id_alphabet[rnd[i] % 32]; /* 32 of 33: no bias */
        ret[RT_ID_LEN] = '\0';
        return 0;
}

bool rt_id_valid(const char *id)
{
        if (!id || strlen(id) != RT_ID_LEN || strncmp(id, "sbx_", 4) != 0 || id[7] != '_')
                return false;
        for (size_t i = 4; i < 7; i++)
                if (id[i] < 'a' || id[i] > 'z')
                        return false;
        for (size_t i = 8; i < RT_ID_LEN; i++)
                if (id[i] == '\0' || !strchr(id_alphabet, id[i]))
                        return false;
        return true;
}
