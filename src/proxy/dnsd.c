/* SPDX-License-Identifier: Apache-2.0 */
/* The sandbox's name server: every query of the sandbox arrives on its door's
 * DNS socket. A name gets its synthetic address (A) or no address (AAAA and
 * everything else: the door speaks IPv4 names only); nothing is forwarded, so
 * nothing leaves the host through DNS. Whether a connection to the name is
 * allowed is decided when it is made, where the refusal can say why. */
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "proxy.h"

#define PX_DNS_TTL 60
#define PX_DNS_BATCH 64 /* queries answered per wake-up, so one sandbox cannot starve the rest */

static void answer(struct px_sandbox *sb, const uint8_t *msg, size_t len, const struct sockaddr *from,
                   socklen_t from_len)
{
        struct net_dns_query q;
        uint8_t out[NET_DNS_MAX_MSG];
        ssize_t n;

        if (net_dns_parse_query(msg, len, &q) < 0) {
                n = net_dns_build_error(msg, len, NET_DNS_RCODE_FORMERR, out, sizeof(out));
        } else if (q.qclass != NET_DNS_CLASS_IN) {
                n = net_dns_build_reply(&q, NET_DNS_RCODE_REFUSED, NULL, 0, out, sizeof(out));
        } else if (q.qtype == NET_DNS_TYPE_A) {
                uint32_t a = htonl(px_names_addr(&sb->names, q.name));
                n = net_dns_build_reply(&q, NET_DNS_RCODE_NOERROR, (const uint8_t *)&a, PX_DNS_TTL, out, sizeof(out));
        } else {
                n = net_dns_build_reply(&q, NET_DNS_RCODE_NOERROR, NULL, 0, out, sizeof(out));
        }
        if (n > 0)
                (void)sendto(sb->dns_fd, out, (size_t)n, MSG_DONTWAIT, from, from_len);
}

void px_dns_on_query(evutil_socket_t fd, short what, void *arg)
{
        struct px_sandbox *sb = arg;
        uint8_t msg[NET_DNS_MAX_MSG];
        struct sockaddr_storage from;

        for (int i = 0; i < PX_DNS_BATCH; i++) {
                socklen_t from_len = sizeof(from);
                ssize_t n = recvfrom(fd, msg, sizeof(msg), MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
                if (n < 0)
                        return;
                answer(sb, msg, (size_t)n, (struct sockaddr *)&from, from_len);
        }
}
