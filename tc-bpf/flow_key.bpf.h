/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A packet's flow key: the pod's end is "local", whichever way the packet goes. */
#ifndef TCPULSE_FLOW_KEY_BPF_H
#define TCPULSE_FLOW_KEY_BPF_H

#include <linux/bpf.h>
#include "tcpulse/abi.h"
#include "parse.bpf.h"

/* Both families' keys are this head followed by the pod's address and the peer's. */
struct flow_key_head {
	__u32 ifindex;
	__u16 local_port;
	__u16 remote_port;
};
_Static_assert(__builtin_offsetof(struct tcpulse_flow4_key, local_addr) == sizeof(struct flow_key_head) &&
		       __builtin_offsetof(struct tcpulse_flow6_key, local_addr) == sizeof(struct flow_key_head) &&
		       sizeof(struct tcpulse_flow4_key) == sizeof(struct flow_key_head) + 2 * 4 &&
		       sizeof(struct tcpulse_flow6_key) == sizeof(struct flow_key_head) + 2 * 16,
	       "flow keys: the head, then two addresses");

/* Fills a tcpulse_flow4_key (addr_len 4) or tcpulse_flow6_key (16); the pod's end is "local". */
static __always_inline void build_flow_key(void *key, const struct packet *pkt, __u32 ifindex,
					   int dir, __u32 addr_len)
{
	struct flow_key_head *head = key;
	__u8 *addrs = (__u8 *)key + sizeof(*head);
	int egress = dir == TCPULSE_DIR_EGRESS;

	head->ifindex = ifindex;
	head->local_port = egress ? pkt->sport : pkt->dport;
	head->remote_port = egress ? pkt->dport : pkt->sport;
	__builtin_memcpy(addrs, egress ? pkt->saddr : pkt->daddr, addr_len);
	__builtin_memcpy(addrs + addr_len, egress ? pkt->daddr : pkt->saddr, addr_len);
}

#endif /* TCPULSE_FLOW_KEY_BPF_H */
