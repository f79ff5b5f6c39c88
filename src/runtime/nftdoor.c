/* SPDX-License-Identifier: Apache-2.0 */
/* The door's nftables rules, built as netlink messages with libnftnl and sent
 * in one batch (one transaction: all or nothing). The same ruleset written in
 * nft's language:
 *
 *   table inet airlock {
 *     chain nat_out {
 *       type nat hook output priority -100; policy accept;
 *       ip daddr 127.0.0.0/8 return
 *       ip6 daddr ::1 return
 *       meta l4proto tcp redirect to :1
 *       udp dport 53 redirect to :53
 *     }
 *     chain filter_out {
 *       type filter hook output priority 0; policy drop;
 *       ip daddr 127.0.0.0/8 accept
 *       ip6 daddr ::1 accept
 *       meta l4proto tcp reject with tcp reset
 *       reject with icmpx type admin-prohibited
 *     }
 *   }
 *
 * libnftables parsed that text for each sandbox: 10-15 ms of CPU, longer
 * than everything else the parent does meanwhile, and it waits on its socket
 * with select(2), which aborts past descriptor 1023 (docs/design/runtime.md). */
#include <errno.h>
#include <netinet/in.h> /* before the kernel's headers, which then leave its types alone */
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runtime_internal.h"

#define DOOR_TABLE "airlock"
#define NFT_BUF (16u * 1024u)

struct batch {
        struct mnl_nlmsg_batch *b;
        uint32_t seq;
        unsigned acks; /* messages that will be acknowledged */
        bool failed;   /* out of memory while building */
};

static struct nftnl_expr *expr(struct nftnl_rule *r, const char *name)
{
        struct nftnl_expr *e = nftnl_expr_alloc(name);

        if (e)
                nftnl_rule_add_expr(r, e);
        return e;
}

/* reg1 := meta key */
static bool meta(struct nftnl_rule *r, uint32_t key)
{
        struct nftnl_expr *e = expr(r, "meta");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
        nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
        return true;
}

/* reg1 == data, or the rule stops here */
static bool cmp_eq(struct nftnl_rule *r, const void *data, uint32_t len)
{
        struct nftnl_expr *e = expr(r, "cmp");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
        nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
        return true;
}

/* reg1 := len bytes at offset of the network or transport header */
static bool payload(struct nftnl_rule *r, uint32_t base, uint32_t offset, uint32_t len)
{
        struct nftnl_expr *e = expr(r, "payload");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
        nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
        return true;
}

static bool verdict(struct nftnl_rule *r, int v)
{
        struct nftnl_expr *e = expr(r, "immediate");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
        nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
        return true;
}

static bool is_family(struct nftnl_rule *r, uint8_t nfproto)
{
        return meta(r, NFT_META_NFPROTO) && cmp_eq(r, &nfproto, sizeof(nfproto));
}

static bool is_l4(struct nftnl_rule *r, uint8_t proto)
{
        return meta(r, NFT_META_L4PROTO) && cmp_eq(r, &proto, sizeof(proto));
}

/* ip daddr 127.0.0.0/8 */
static bool to_lo4(struct nftnl_rule *r)
{
        static const uint8_t mask[4] = { 0xff, 0, 0, 0 }, xor[4] = { 0 }, net[4] = { 127, 0, 0, 0 };
        struct nftnl_expr *e;

        if (!is_family(r, NFPROTO_IPV4) || !payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4) /* daddr */ ||
            !(e = expr(r, "bitwise")))
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
        nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, 4);
        nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, 4);
        return cmp_eq(r, net, 4);
}

/* ip6 daddr ::1 */
static bool to_lo6(struct nftnl_rule *r)
{
        return is_family(r, NFPROTO_IPV6) && payload(r, NFT_PAYLOAD_NETWORK_HEADER, 24, 16) &&
               cmp_eq(r, &in6addr_loopback, 16);
}

/* redirect to :port (the port is loaded into reg1 first) */
static bool redirect(struct nftnl_rule *r, uint16_t port)
{
        uint16_t be = htons(port);
        struct nftnl_expr *imm = expr(r, "immediate"), *e;

        if (!imm)
                return false;
        nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
        nftnl_expr_set(imm, NFTNL_EXPR_IMM_DATA, &be, sizeof(be));
        if (!(e = expr(r, "redir")))
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN, NFT_REG_1);
        return true;
}

static bool reject(struct nftnl_rule *r, uint32_t type, uint8_t code)
{
        struct nftnl_expr *e = expr(r, "reject");

        if (!e)
                return false;
        nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
        nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
        return true;
}

/* --- the batch ------------------------------------------------------------ */

static void *next_msg(struct batch *b)
{
        return mnl_nlmsg_batch_current(b->b);
}

static void put(struct batch *b)
{
        if (!mnl_nlmsg_batch_next(b->b))
                b->failed = true;
}

static void add_table(struct batch *b)
{
        struct nftnl_table *t = nftnl_table_alloc();
        struct nlmsghdr *nh;

        if (!t) {
                b->failed = true;
                return;
        }
        nftnl_table_set_str(t, NFTNL_TABLE_NAME, DOOR_TABLE);
        nh = nftnl_table_nlmsg_build_hdr(next_msg(b), NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK,
                                         b->seq++);
        nftnl_table_nlmsg_build_payload(nh, t);
        nftnl_table_free(t);
        b->acks++;
        put(b);
}

static void add_chain(struct batch *b, const char *name, const char *type, int prio, uint32_t policy)
{
        struct nftnl_chain *c = nftnl_chain_alloc();
        struct nlmsghdr *nh;

        if (!c) {
                b->failed = true;
                return;
        }
        nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, DOOR_TABLE);
        nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
        nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
        nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_LOCAL_OUT);
        nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
        nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, policy);
        nh = nftnl_chain_nlmsg_build_hdr(next_msg(b), NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE | NLM_F_ACK,
                                         b->seq++);
        nftnl_chain_nlmsg_build_payload(nh, c);
        nftnl_chain_free(c);
        b->acks++;
        put(b);
}

/* One rule of chain: match builds its expressions into it. */
static void add_rule(struct batch *b, const char *chain, bool (*match)(struct nftnl_rule *, const void *),
                     const void *arg)
{
        struct nftnl_rule *r = nftnl_rule_alloc();
        struct nlmsghdr *nh;

        if (!r) {
                b->failed = true;
                return;
        }
        nftnl_rule_set_str(r, NFTNL_RULE_TABLE, DOOR_TABLE);
        nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
        nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
        if (!match(r, arg)) {
                nftnl_rule_free(r);
                b->failed = true;
                return;
        }
        nh = nftnl_rule_nlmsg_build_hdr(next_msg(b), NFT_MSG_NEWRULE, NFPROTO_INET,
                                        NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, b->seq++);
        nftnl_rule_nlmsg_build_payload(nh, r);
        nftnl_rule_free(r);
        b->acks++;
        put(b);
}

/* --- the rules, one function each ------------------------------------------ */

static bool r_lo4_return(struct nftnl_rule *r, const void *v)
{
        return to_lo4(r) && verdict(r, NFT_RETURN);
}

static bool r_lo6_return(struct nftnl_rule *r, const void *v)
{
        return to_lo6(r) && verdict(r, NFT_RETURN);
}

static bool r_tcp_to_door(struct nftnl_rule *r, const void *v)
{
        return is_l4(r, IPPROTO_TCP) && redirect(r, RT_DOOR_TCP_PORT);
}

static bool r_dns_to_door(struct nftnl_rule *r, const void *v)
{
        uint16_t dport = htons(53);

        return is_l4(r, IPPROTO_UDP) && payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2) &&
               cmp_eq(r, &dport, sizeof(dport)) && redirect(r, RT_DOOR_DNS_PORT);
}

static bool r_lo4_accept(struct nftnl_rule *r, const void *v)
{
        return to_lo4(r) && verdict(r, NF_ACCEPT);
}

static bool r_lo6_accept(struct nftnl_rule *r, const void *v)
{
        return to_lo6(r) && verdict(r, NF_ACCEPT);
}

static bool r_tcp_reset(struct nftnl_rule *r, const void *v)
{
        return is_l4(r, IPPROTO_TCP) && reject(r, NFT_REJECT_TCP_RST, 0);
}

static bool r_prohibited(struct nftnl_rule *r, const void *v)
{
        return reject(r, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
}

/* Read acknowledgements until every message has one, or an error comes. */
static int wait_acks(struct mnl_socket *nl, unsigned want, struct al_error *err)
{
        static char buf[8192]; /* MNL_SOCKET_BUFFER_SIZE is not a constant */
        unsigned got = 0;

        while (got < want) {
                ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
                if (n < 0)
                        return al_error_set(err, errno, "read nftables' answer");
                for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nh, (int)n);
                     nh = mnl_nlmsg_next(nh, (int *)&n)) {
                        if (nh->nlmsg_type != NLMSG_ERROR)
                                continue;
                        const struct nlmsgerr *e = mnl_nlmsg_get_payload(nh);
                        if (e->error != 0)
                                return al_error_set(err, -e->error,
                                                    "load the door's nftables rules (is nf_tables in the kernel?)");
                        got++;
                }
        }
        return 0;
}

int rt_nft_door_load(struct al_error *err)
{
        static char buf[NFT_BUF];
        struct batch b = { .seq = 1 };
        struct mnl_socket *nl;
        int r;

        b.b = mnl_nlmsg_batch_start(buf, sizeof(buf));
        if (!b.b)
                return al_error_setx(err, ENOMEM, "nftables batch");
        nftnl_batch_begin(next_msg(&b), b.seq++);
        put(&b);
        add_table(&b);
        add_chain(&b, "nat_out", "nat", -100, NF_ACCEPT);
        add_rule(&b, "nat_out", r_lo4_return, NULL);
        add_rule(&b, "nat_out", r_lo6_return, NULL);
        add_rule(&b, "nat_out", r_tcp_to_door, NULL);
        add_rule(&b, "nat_out", r_dns_to_door, NULL);
        add_chain(&b, "filter_out", "filter", 0, NF_DROP);
        add_rule(&b, "filter_out", r_lo4_accept, NULL);
        add_rule(&b, "filter_out", r_lo6_accept, NULL);
        add_rule(&b, "filter_out", r_tcp_reset, NULL);
        add_rule(&b, "filter_out", r_prohibited, NULL);
        nftnl_batch_end(next_msg(&b), b.seq++);
        put(&b);
        if (b.failed) {
                mnl_nlmsg_batch_stop(b.b);
                return al_error_setx(err, ENOMEM, "build the door's nftables rules");
        }
        nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (!nl) {
                mnl_nlmsg_batch_stop(b.b);
                return al_error_set(err, errno, "open a netfilter netlink socket");
        }
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
            mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b.b), mnl_nlmsg_batch_size(b.b)) < 0)
                r = al_error_set(err, errno, "send the door's nftables rules");
        else
                r = wait_acks(nl, b.acks, err);
        mnl_socket_close(nl);
        mnl_nlmsg_batch_stop(b.b);
        return r;
}
