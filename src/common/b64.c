/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>

#include "b64.h"

char *al_b64_encode(const uint8_t *data, size_t len, size_t *ret_len)
{
        size_t out_len = 4 * ((len + 2) / 3);
        char *out = malloc(out_len + 1);
        size_t done = 0;

        if (!out)
                return NULL;
        /* EVP_EncodeBlock takes an int length: go in slices. */
        for (size_t off = 0; off < len;) {
                size_t n = len - off > (1u << 29) ? (1u << 29) : len - off;
                done += (size_t)EVP_EncodeBlock((unsigned char *)out + done, data + off, (int)n);
                off += n;
        }
        out[done] = '\0';
        if (ret_len)
                *ret_len = done;
        return out;
}

int al_b64_decode(const char *s, size_t len, size_t max, uint8_t **ret, size_t *ret_len)
{
        size_t pad = 0, out_len;
        uint8_t *out;
        int n;

        if (len % 4 != 0 || len > (size_t)1 << 30)
                return -EINVAL;
        if (len >= 1 && s[len - 1] == '=')
                pad++;
        if (len >= 2 && s[len - 2] == '=')
                pad++;
        out_len = len / 4 * 3 - pad;
        if (out_len > max)
                return -E2BIG;
        out = malloc(len / 4 * 3 + 1);
        if (!out)
                return -ENOMEM;
        n = len ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)len) : 0;
        if (n < 0 || (size_t)n != len / 4 * 3) {
                free(out);
                return -EINVAL;
        }
        *ret = out;
        *ret_len = out_len;
        return 0;
}
