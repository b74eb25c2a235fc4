/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Host-network pods, on the node's uplinks: only the traffic of sockets in the host network
 * namespace counts, each flow under the pod whose cgroup holds its socket.
 *
 *   sent (uplink egress)     the packet carries its socket: a flow is created for it when the
 *                            socket's cgroup (bpf_skb_cgroup_id) is a pod's in tcpulse_cgroups,
 *                            and a flow the received side created is named after it
 *   received (uplink ingress, XDP or tcx)
 *                            the packet finds its flow by the key the sent side made; a SYN with
 *                            none starts one if a host socket listens for it (bpf_sk_lookup_tcp)
 *
 * Forwarded traffic (a veth pod's, NATed or routed through the uplink) has no socket here: the IP
 * layer orphans a packet it receives, and a received one finds no host socket. So nothing is
 * counted both on a pod's veth and on the uplink. Non-TCP packets are not counted on the uplink.
 * Flows are keyed by TCPULSE_HOST_FLOWS rather than the uplink's ifindex, so that a connection
 * whose packets leave by one uplink and return by another is one flow.
 */
#ifndef TCPULSE_HOST_FLOW_BPF_H
#define TCPULSE_HOST_FLOW_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "flow.bpf.h"

/* The host-network pod whose cgroup this is; 0 if none. */
static __always_inline __u32 host_pod_of_cgroup(__u64 cgroup_id)
{
	__u32 *pod_key;

	if (!cgroup_id)
		return 0;
	pod_key = bpf_map_lookup_elem(&tcpulse_cgroups, &cgroup_id);
	return pod_key ? *pod_key : 0;
}

/* Whether a host socket listens for this SYN. Its cgroup is not readable here
 * (bpf_sk_cgroup_id is not offered to tc or XDP programs): the SYN/ACK, which carries the
 * listener's request socket, names the flow's pod. */
static __always_inline int host_listener(void *ctx, const struct packet *pkt)
{
	struct bpf_sock_tuple tuple = {};
	struct bpf_sock *sk;
	__u32 size;

	if (pkt->family == TCPULSE_AF_INET) {
		__builtin_memcpy(&tuple.ipv4.saddr, pkt->saddr, 4);
		__builtin_memcpy(&tuple.ipv4.daddr, pkt->daddr, 4);
		tuple.ipv4.sport = pkt->sport;
		tuple.ipv4.dport = pkt->dport;
		size = sizeof(tuple.ipv4);
	} else {
		__builtin_memcpy(tuple.ipv6.saddr, pkt->saddr, 16);
		__builtin_memcpy(tuple.ipv6.daddr, pkt->daddr, 16);
		tuple.ipv6.sport = pkt->sport;
		tuple.ipv6.dport = pkt->dport;
		size = sizeof(tuple.ipv6);
	}
	sk = bpf_sk_lookup_tcp(ctx, &tuple, size, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	bpf_sk_release(sk);
	return 1;
}

/* Names a flow's pod from the socket of a packet it sends: its host-network pod, or
 * TCPULSE_HOST_FLOWS for a socket in no pod's cgroup (the agent removes such flows). */
static __always_inline void own_flow(struct tcpulse_flow_stats *flow, __u64 cgroup_id,
				     __u32 pod_key)
{
	flow->cgroup_id = cgroup_id;
	flow->pod_key = pod_key ? pod_key : TCPULSE_HOST_FLOWS;
}

/* One packet of the uplink, parsed (ret: enum parse_result), going dir from the pod's point of
 * view (a constant: ctx is the sent side's skb, or the received side's skb or XDP frame). */
static __always_inline void count_host_packet(void *ctx, struct packet *pkt, int ret, int dir,
					      __u32 segs)
{
	struct tcpulse_flow_stats *flow;
	struct pod_ref pod = {};
	__u32 payload, pod_key;
	__u64 bytes, cgroup_id;

	if (unlikely(ret == PARSE_MALFORMED)) {
		count_error(pkt->error);
		return;
	}
	if (ret != PARSE_TCP)
		return;

	flow = flow_stats(pkt, TCPULSE_HOST_FLOWS, dir, 0);
	if (dir == TCPULSE_DIR_EGRESS) {
		if (unlikely(!flow || !flow->pod_key)) {
			cgroup_id = bpf_skb_cgroup_id(ctx);
			pod_key = host_pod_of_cgroup(cgroup_id);
			if (!flow) {
				if (!pod_key)
					return;
				flow = flow_stats(pkt, TCPULSE_HOST_FLOWS, dir, 1);
				if (!flow)
					return; /* counted: no room */
			}
			own_flow(flow, cgroup_id, pod_key);
		}
	} else if (!flow) {
		/* Only a SYN to a host listener starts a flow on the received side. */
		if ((pkt->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) != TCP_FLAG_SYN || !host_listener(ctx, pkt))
			return;
		flow = flow_stats(pkt, TCPULSE_HOST_FLOWS, dir, 1);
		if (!flow)
			return;
	}
	if (unlikely(pkt->opts.bad))
		count_error(TCPULSE_ERR_BAD_TCP_OPTION);
	pod.ifindex = flow->pod_key;
	/* Not yet named (a SYN received), or nobody's: no pod totals to add to. */
	pod.full = !tcpulse_is_host_pod_key(pod.ifindex);
	payload = pkt->l3_len - pkt->headers_len;
	bytes = payload + (__u64)segs * pkt->headers_len;
	count_tcp_packet(flow, pkt, &pod, dir, segs, payload, bytes);
}

/* What a host socket sends, at the uplink's tc egress. */
static __always_inline void handle_host_sent(struct __sk_buff *skb)
{
	struct packet pkt = {};
	int ret = parse_skb(skb, &pkt, PARSE_F_IP_LENGTH);

	count_host_packet(skb, &pkt, ret, TCPULSE_DIR_EGRESS, skb->gso_segs > 1 ? skb->gso_segs : 1);
}

/* What the uplink receives, at its tc ingress (a GRO packet stands for gso_segs segments). */
static __always_inline void handle_host_received(struct __sk_buff *skb)
{
	struct packet pkt = {};
	int ret = parse_skb(skb, &pkt, PARSE_F_IP_LENGTH);

	count_host_packet(skb, &pkt, ret, TCPULSE_DIR_INGRESS, skb->gso_segs > 1 ? skb->gso_segs : 1);
}

/* The same from XDP, before the stack: one wire segment per frame. */
static __always_inline void handle_host_frame(struct xdp_md *xdp)
{
	struct packet pkt = {};
	int ret = parse_xdp(xdp, &pkt);

	count_host_packet(xdp, &pkt, ret, TCPULSE_DIR_INGRESS, 1);
}

#endif /* TCPULSE_HOST_FLOW_BPF_H */
