/* SPDX-License-Identifier: Apache-2.0 */
#include "ctlmsg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"

int al_ctl_send(int fd, json_t *msg, const int *fds, size_t nfds, struct al_error *err)
{
        _cleanup_free_ char *text = json_dumps(msg, JSON_COMPACT);
        union {
                char buf[CMSG_SPACE(sizeof(int) * AL_CTL_MAX_FDS)];
                struct cmsghdr align;
        } u;
        struct iovec iov;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;

        if (!text)
                return al_error_setx(err, ENOMEM, "encode a control message");
        if (strlen(text) > AL_CTL_MAX_MSG || nfds > AL_CTL_MAX_FDS)
                return al_error_setx(err, EMSGSIZE, "control message too large");
        iov = (struct iovec){ text, strlen(text) };
        if (nfds) {
                memset(&u, 0, sizeof(u));
                mh.msg_control = u.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
        }
        do
                n = sendmsg(fd, &mh, MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return al_error_set(err, errno, "send a control message");
        return 0;
}

static size_t take_fds(struct msghdr *mh, int fds[AL_CTL_MAX_FDS])
{
        size_t n = 0;

        for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *p = (int *)CMSG_DATA(c);
                for (size_t i = 0; i < k; i++) {
                        if (n < AL_CTL_MAX_FDS)
                                fds[n++] = p[i];
                        else
                                close(p[i]);
                }
        }
        return n;
}

int al_ctl_recv(int fd, json_t **ret, int fds[AL_CTL_MAX_FDS], size_t *ret_nfds, struct al_error *err)
{
        _cleanup_free_ char *buf = malloc(AL_CTL_MAX_MSG + 1);
        union {
                char buf[CMSG_SPACE(sizeof(int) * AL_CTL_MAX_FDS)];
                struct cmsghdr align;
        } u;
        struct iovec iov = { buf, AL_CTL_MAX_MSG + 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        json_error_t jerr;
        ssize_t n;

        *ret = NULL;
        *ret_nfds = 0;
        if (!buf)
                return al_error_setx(err, ENOMEM, "control message buffer");
        do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == EAGAIN ? -EAGAIN : al_error_set(err, errno, "receive a control message");
        *ret_nfds = take_fds(&mh, fds);
        if (n == 0)
                return 0;
        if ((size_t)n > AL_CTL_MAX_MSG || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
                goto bad;
        *ret = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
        if (!*ret || !json_is_object(*ret))
                goto bad;
        return 0;
bad:
        json_decref(*ret);
        *ret = NULL;
        for (size_t i = 0; i < *ret_nfds; i++)
                close(fds[i]);
        *ret_nfds = 0;
        return al_error_setx(err, EBADMSG, "malformed control message");
}
