/* SPDX-License-Identifier: Apache-2.0 */
/* The network door (ARCHITECTURE.md "Network: one door"), set up from the
 * parent while the child builds its filesystem. The sandbox's network
 * namespace is owned by the host's user namespace, so nothing inside can
 * change what is made here:
 *   - loopback up, and default routes into loopback (so that connect() to any
 *     address gets as far as the nat hook instead of ENETUNREACH);
 *   - nftables (nftdoor.c): every TCP connection leaving loopback is
 *     redirected to the door's listener, UDP to port 53 to the door's DNS
 *     socket, everything else is rejected at once (never a hang);
 *   - the two sockets, made here and handed to airlock-proxy, which accepts,
 *     learns the original destination and dials out from the host.
 * Connections to the sandbox's own loopback addresses stay inside. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime_internal.h"

static int loopback_up(int fd, struct al_error *err)
{
        struct ifreq ifr = { 0 };

        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return al_error_set(err, errno, "read loopback flags");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return al_error_set(err, errno, "bring loopback up");
        return 0;
}

/* RTM_NEWROUTE for a default route out of loopback with a preferred source
 * address: without one the kernel picks 0.0.0.0 for a route of link scope
 * through lo, and replies to that address never arrive. */
static int route_add(int family, const void *src, size_t src_len, int ifindex, struct al_error *err)
{
        struct {
                struct nlmsghdr nh;
                struct rtmsg rt;
                char attrs[64];
        } req = {
                .nh = { .nlmsg_type = RTM_NEWROUTE,
                        .nlmsg_seq = 1,
                        .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL },
                .rt = { .rtm_family = (unsigned char)family,
                        .rtm_table = RT_TABLE_MAIN,
                        .rtm_protocol = RTPROT_STATIC,
                        .rtm_scope = RT_SCOPE_LINK,
                        .rtm_type = RTN_UNICAST },
        };
        struct {
                struct nlmsghdr nh;
                struct nlmsgerr e;
        } ack;
        size_t off = NLMSG_LENGTH(sizeof(struct rtmsg));
        struct rtattr *a = (struct rtattr *)((char *)&req + off);
        _cleanup_fd_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

        if (fd < 0)
                return al_error_set(err, errno, "netlink socket");
        a->rta_type = RTA_OIF;
        a->rta_len = RTA_LENGTH(sizeof(int));
        memcpy(RTA_DATA(a), &ifindex, sizeof(int));
        off += RTA_ALIGN(a->rta_len);
        a = (struct rtattr *)((char *)&req + off);
        a->rta_type = RTA_PREFSRC;
        a->rta_len = RTA_LENGTH(src_len);
        memcpy(RTA_DATA(a), src, src_len);
        off += RTA_ALIGN(a->rta_len);
        req.nh.nlmsg_len = (uint32_t)off;
        if (send(fd, &req, off, 0) < 0 || recv(fd, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack))
                return al_error_set(err, errno, "netlink route request");
        if (ack.nh.nlmsg_type == NLMSG_ERROR && ack.e.error != 0)
                return al_error_set(err, -ack.e.error, "add the IPv%d route into loopback", family == AF_INET ? 4 : 6);
        return 0;
}

static int routes_add(struct al_error *err)
{
        _cleanup_fd_ int fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct in_addr lo4 = { htonl(INADDR_LOOPBACK) };
        int lo = (int)if_nametoindex("lo");
        int r;

        if (fd4 < 0)
                return al_error_set(err, errno, "socket for the door's routes");
        r = loopback_up(fd4, err);
        if (r >= 0)
                r = route_add(AF_INET, &lo4, sizeof(lo4), lo, err);
        /* IPv6 may be disabled on the host: then there is nothing to route. */
        if (r >= 0 && access("/proc/sys/net/ipv6/conf/lo", F_OK) == 0)
                r = route_add(AF_INET6, &in6addr_loopback, sizeof(in6addr_loopback), lo, err);
        return r;
}

/* A dual-stack socket on the wildcard address: the redirect sends IPv4 to
 * 127.0.0.1 and IPv6 to ::1. Falls back to IPv4 alone without IPv6. */
static int door_socket(int type, uint16_t port, struct al_error *err)
{
        int one = 1, zero = 0;
        struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT };
        struct sockaddr_in a4 = { .sin_family = AF_INET,
                                  .sin_port = htons(port),
                                  .sin_addr.s_addr = htonl(INADDR_ANY) };
        _cleanup_fd_ int fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int r;

        /* Before bind: a door re-opened after a restart must not wait out
         * the old connections' TIME_WAIT. */
        if (fd >= 0) {
                (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
                (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                r = bind(fd, (struct sockaddr *)&a6, sizeof(a6));
        } else {
                fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0)
                        return al_error_set(err, errno, "door socket");
                (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
                r = bind(fd, (struct sockaddr *)&a4, sizeof(a4));
        }
        if (r < 0)
                return al_error_set(err, errno, "bind the door's port %u", port);
        if (type == SOCK_STREAM && listen(fd, RT_DOOR_BACKLOG) < 0)
                return al_error_set(err, errno, "listen on the door's port");
        return TAKE_FD(fd);
}

/* Runs with the calling thread inside the sandbox's network namespace. */
static int door_build(struct rt_door *d, struct al_error *err)
{
        int r = routes_add(err);

        if (r >= 0)
                r = rt_nft_door_load(err);
        if (r >= 0)
                r = d->listen_fd = door_socket(SOCK_STREAM, RT_DOOR_TCP_PORT, err);
        if (r >= 0)
                r = d->dns_fd = door_socket(SOCK_DGRAM, RT_DOOR_DNS_PORT, err);
        return r < 0 ? r : 0;
}

static int host_netns(struct al_error *err)
{
        static int fd = -1;

        if (fd < 0)
                fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return al_error_set(err, errno, "open airlockd's network namespace");
        return fd;
}

/* Enter the sandbox's network namespace, run fn, come back whatever fn did. */
static int in_netns(int netns_fd, int (*fn)(void *, struct al_error *), void *arg, struct al_error *err)
{
        int home = host_netns(err), r;

        if (home < 0)
                return home;
        if (setns(netns_fd, CLONE_NEWNET) < 0)
                return al_error_set(err, errno, "enter the sandbox's network namespace");
        r = fn(arg, err);
        if (setns(home, CLONE_NEWNET) < 0) {
                /* Staying in a sandbox's namespace would send every later
                 * connection of airlockd there: not survivable. */
                fprintf(stderr, "airlockd: cannot return to the host network namespace: %s\n", strerror(errno));
                abort();
        }
        return r;
}

static int door_build_cb(void *arg, struct al_error *err)
{
        return door_build(arg, err);
}

/* Open the sandbox's network namespace into d and run fn there. */
static int with_netns(pid_t pid, struct rt_door *d, int (*fn)(void *, struct al_error *), struct al_error *err)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
        d->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (d->netns_fd < 0)
                return al_error_set(err, errno, "open the sandbox's network namespace");
        return in_netns(d->netns_fd, fn, d, err);
}

int rt_netdoor_setup_parent(pid_t pid, struct rt_door *d, struct al_error *err)
{
        return with_netns(pid, d, door_build_cb, err);
}

/* A sandbox made by an earlier airlockd: its routes and rules are still in
 * place, the listeners died with that airlockd and its proxy. */
static int door_reopen_cb(void *arg, struct al_error *err)
{
        struct rt_door *d = arg;
        int r = d->listen_fd = door_socket(SOCK_STREAM, RT_DOOR_TCP_PORT, err);

        if (r >= 0)
                r = d->dns_fd = door_socket(SOCK_DGRAM, RT_DOOR_DNS_PORT, err);
        return r < 0 ? r : 0;
}

int rt_netdoor_reopen_parent(pid_t pid, struct rt_door *d, struct al_error *err)
{
        return with_netns(pid, d, door_reopen_cb, err);
}

void rt_netdoor_close(struct rt_door *d)
{
        int *fds[] = { &d->netns_fd, &d->listen_fd, &d->dns_fd };

        for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
                if (*fds[i] >= 0)
                        close(*fds[i]);
                *fds[i] = -1;
        }
}

struct socket_args {
        int domain, type, fd;
};

static int socket_cb(void *arg, struct al_error *err)
{
        struct socket_args *s = arg;

        s->fd = socket(s->domain, s->type | SOCK_CLOEXEC, 0);
        if (s->fd < 0)
                return al_error_set(err, errno, "socket in the sandbox's network namespace");
        return 0;
}

int rt_netdoor_socket(const struct rt_door *d, int domain, int type, struct al_error *err)
{
        struct socket_args s = { domain, type, -1 };
        int r;

        if (d->netns_fd < 0)
                return al_error_setx(err, ENOTCONN, "the sandbox has no network namespace");
        r = in_netns(d->netns_fd, socket_cb, &s, err);
        return r < 0 ? r : s.fd;
}
