/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "chan.h"

void al_buf_init(struct al_buf *b, size_t max)
{
        *b = (struct al_buf){ .max = max };
}

void al_buf_free(struct al_buf *b)
{
        free(b->data);
        *b = (struct al_buf){ .max = b->max };
}

static int buf_reserve(struct al_buf *b, size_t n)
{
        if (al_buf_size(b) + n > b->max)
                return -ENOBUFS;
        if (b->len + n <= b->cap)
                return 0;
        if (b->off > 0) { /* compact before growing */
                memmove(b->data, b->data + b->off, al_buf_size(b));
                b->len -= b->off;
                b->off = 0;
                if (b->len + n <= b->cap)
                        return 0;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
                cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
                return -ENOMEM;
        b->data = p;
        b->cap = cap;
        return 0;
}

int al_buf_append(struct al_buf *b, const void *p, size_t n)
{
        int r = buf_reserve(b, n);
        if (r < 0)
                return r;
        if (n)
                memcpy(b->data + b->len, p, n);
        b->len += n;
        return 0;
}

int al_buf_append_frame(struct al_buf *b, uint16_t type, uint32_t id, const void *p, size_t n)
{
        uint8_t hdr[AL_CHAN_HDR];
        int r;

        if (n > AL_CHAN_MAX_PAYLOAD)
                return -EMSGSIZE;
        r = buf_reserve(b, AL_CHAN_HDR + n);
        if (r < 0)
                return r;
        al_chan_put_header(hdr, type, id, (uint32_t)n);
        al_buf_append(b, hdr, sizeof(hdr));
        return al_buf_append(b, p, n);
}

void al_buf_consume(struct al_buf *b, size_t n)
{
        if (n >= al_buf_size(b)) {
                b->off = b->len = 0;
                return;
        }
        b->off += n;
}

long al_buf_flush(struct al_buf *b, int fd)
{
        long total = 0;

        while (al_buf_size(b) > 0) {
                ssize_t n = write(fd, al_buf_head(b), al_buf_size(b));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN ? total : -errno;
                }
                al_buf_consume(b, (size_t)n);
                total += n;
        }
        return total;
}

int al_write_all(int fd, const void *p, size_t n)
{
        const uint8_t *b = p;

        while (n > 0) {
                ssize_t w = write(fd, b, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && errno == EAGAIN) { /* a non-blocking fd someone gave us */
                        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                        poll(&pfd, 1, -1);
                        continue;
                }
                if (w < 0)
                        return -errno;
                b += w;
                n -= (size_t)w;
        }
        return 0;
}
