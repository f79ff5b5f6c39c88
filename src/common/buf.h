/* SPDX-License-Identifier: Apache-2.0 */
/* A byte queue with a hard cap: appends beyond the cap fail with -ENOBUFS. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct al_buf {
        uint8_t *data;
        size_t off; /* start of unread bytes */
        size_t len; /* end of unread bytes */
        size_t cap; /* allocated */
        size_t max; /* hard cap on unread bytes */
};

void al_buf_init(struct al_buf *b, size_t max);
void al_buf_free(struct al_buf *b);
static inline size_t al_buf_size(const struct al_buf *b)
{
        return b->len - b->off;
}
static inline const uint8_t *al_buf_head(const struct al_buf *b)
{
        return b->data + b->off;
}
int al_buf_append(struct al_buf *b, const void *p, size_t n);
/* Append a channel frame (header + payload). */
int al_buf_append_frame(struct al_buf *b, uint16_t type, uint32_t id, const void *p, size_t n);
void al_buf_consume(struct al_buf *b, size_t n);
/* Write all of p, retrying on EINTR and waiting out EAGAIN; 0 or -errno. */
int al_write_all(int fd, const void *p, size_t n);
/* Write as much as the fd takes; returns bytes written or -errno (-EAGAIN ok). */
long al_buf_flush(struct al_buf *b, int fd);
