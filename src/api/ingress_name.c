/* SPDX-License-Identifier: Apache-2.0 */
/* Exposure names: pure, no allocation; the unit tests and fuzz_ingress drive it. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "ingress.h"

static bool label_char(char ch)
{
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
}

/* The name without its port and one trailing dot: its length, or 0. */
static size_t name_len(const char *host)
{
        size_t n = strlen(host);
        const char *colon = memchr(host, ':', n);

        if (host[0] == '[') /* an IPv6 literal is never one of ours */
                return 0;
        if (colon) {
                for (const char *p = colon + 1; *p; p++)
                        if (*p < '0' || *p > '9')
                                return 0;
                n = (size_t)(colon - host);
        }
        if (n && host[n - 1] == '.')
                n--;
        return n;
}

int api_ingress_label(const char *host, const char *base_host, char label[API_INGRESS_LABEL_MAX + 1])
{
        size_t n = name_len(host), bn = strlen(base_host), ln;

        if (n <= bn + 1 || host[n - bn - 1] != '.' || strncasecmp(host + n - bn, base_host, bn) != 0)
                return 0;
        ln = n - bn - 1;
        if (ln > API_INGRESS_LABEL_MAX)
                return -1;
        for (size_t i = 0; i < ln; i++) {
                if (!label_char(host[i]))
                        return -1;
                label[i] = (char)tolower((unsigned char)host[i]);
        }
        label[ln] = '\0';
        return 1;
}

void api_ingress_label_make(const char *id, const uint8_t rnd[8], char label[API_INGRESS_LABEL_MAX + 1])
{
        static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        size_t n = 0;

        for (const char *p = id; *p && n < API_INGRESS_LABEL_MAX - 9; p++)
                label[n++] = *p == '_' ? '-' : (char)tolower((unsigned char)*p);
        label[n++] = '-';
        for (int i = 0; i < 8; i++)
                label[n++] = alphabet[rnd[i] % 36];
        label[n] = '\0';
}
