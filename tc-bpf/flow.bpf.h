/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Per-flow accounting: a packet's flow key, and the per-packet path. */
#ifndef TCPULSE_FLOW_BPF_H
#define TCPULSE_FLOW_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tcpulse/abi.h"
#include "clock.bpf.h"
#include "flow_key.bpf.h"
#include "flow_table.bpf.h"
#include "flowless_handshake.bpf.h"
#include "hints.bpf.h"
#include "maps.bpf.h"
#include "parse.bpf.h"
#include "pod.bpf.h"
#include "tcp_health.bpf.h"

/* The flow's state (created if new when create is set, a constant): see flow_table.bpf.h. Keys
 * are read as 8-byte words for the hash and the slot's compare, hence the unions (which also
 * align them). */
static __always_inline struct tcpulse_flow_stats *flow_stats(const struct packet *pkt,
							     __u32 ifindex, int dir, int create)
{
	if (likely(pkt->family == TCPULSE_AF_INET)) { /* the straight path: see parse_packet */
		union {
			struct tcpulse_flow4_key key;
			__u64 w[2];
		} k;

		build_flow_key(&k.key, pkt, ifindex, dir, 4);
		return find_flow(&tcpulse_flows4, &k.key, k.w, 2, tcpulse_flow_hash2(k.w[0], k.w[1]),
				 0, dir, create);
	} else {
		union {
			struct tcpulse_flow6_key key;
			__u64 w[5];
		} k;

		build_flow_key(&k.key, pkt, ifindex, dir, 16);
		return find_flow(&tcpulse_flows6, &k.key, k.w, 5, tcpulse_flow_hash5(k.w), 1, dir, create);
	}
}

/* Stamps the direction's last_seen_ns. The clock is read only when the sender's TCP timestamp
 * has moved (at most once per tick of its clock, 1 ms on Linux), on handshake and close segments,
 * and for segments without timestamps: a helper call costs a packet ~20 ns here, more than all
 * the rest of its flow accounting. Returns whether the timestamp moved: only a segment with a new
 * TSval may start an RTT sample (a FIN with the last segment's TSval would be timed from the
 * wrong send). */
static __always_inline int stamp_direction(struct tcpulse_flow_stats *flow, int dir,
					   const struct packet *pkt)
{
	struct tcpulse_flow_dir *d = tcpulse_flow_dir_of(flow, dir);
	struct tcpulse_flow_events *ev = &d->events;
	int moved = 0;

	if (likely(pkt->opts.has_ts)) {
		moved = pkt->opts.tsval != d->tsval_last;
		if (likely(!moved) && likely(!(pkt->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST))))
			return 0;
		if (moved)
			d->tsval_last = pkt->opts.tsval;
	}
	/* A plain store: reading the events line first, to skip an unchanged value, would wait for
	 * the line, where a store does not. */
	ev->last_seen_ns = tcpulse_coarse_now_ns();
	return moved;
}

/* Accounts for the segment's headers, so that the payload is bytes less headers (see
 * tcpulse_flow_payload_bytes): nothing when they are the direction's usual size. The usual size
 * is guessed once, by the direction's first packet (which may be a SYN, with options the data
 * will not carry): IP + TCP headers, with the timestamps option if that packet has it. */
static __always_inline void count_headers(struct tcpulse_flow_dir *d, const struct packet *pkt,
					  __u32 segs)
{
	__u64 usual = d->usual_headers, guess;

	if (likely(usual == pkt->headers_len))
		return;
	if (unlikely(!usual)) {
		guess = (pkt->family == TCPULSE_AF_INET ? 20 : 40) + 20 + (pkt->opts.has_ts ? 12 : 0);
		usual = __sync_val_compare_and_swap(&d->usual_headers, 0, guess);
		if (!usual) /* ours: another packet's guess would have been returned */
			usual = guess;
		if (usual == pkt->headers_len)
			return;
	}
	__sync_fetch_and_add(&d->unusual_headers,
			     (__u64)((__s64)segs * ((__s64)pkt->headers_len - (__s64)usual)));
}

/* Counts a TCP packet (segs wire segments, bytes on the wire) in its flow, and its events in its
 * pod's totals. */
static __always_inline void count_tcp_packet(struct tcpulse_flow_stats *flow,
					     const struct packet *pkt, struct pod_ref *pod, int dir,
					     __u32 segs, __u32 payload, __u64 bytes)
{
	/* One direction's packets may be handled on two CPUs at once. The flow's counts are also its
	 * pod's (see tcpulse_flow_slot): no second line to write. */
	struct tcpulse_flow_dir *d = tcpulse_flow_dir_of(flow, dir);
	int ts_moved;

	__sync_fetch_and_add(&d->packets, segs);
	__sync_fetch_and_add(&d->bytes, bytes);
	count_headers(d, pkt, segs);
	ts_moved = stamp_direction(flow, dir, pkt);
	track_tcp(pkt, flow, pod, dir, segs, payload, ts_moved);
}

/* A pod's packet, parsed (ret: enum parse_result): in its flow or its pod's slot. ctx is the skb
 * (a GSO skb leaves as gso_segs wire segments, each with its own headers) or, when xdp is set (a
 * constant), the XDP frame: one wire segment. Read from ctx only past the early returns, so that
 * the tc programs' code is what it was before XDP joined (docs/performance.md). */
static __always_inline void count_pod_packet(void *ctx, struct packet *pkt, int ret, int dir,
					     int xdp)
{
	struct tcpulse_flow_stats *flow;
	struct pod_ref pod = {};
	__u32 segs, payload;
	__u64 bytes;

	if (unlikely(ret == PARSE_MALFORMED)) {
		count_error(pkt->error);
		return;
	}
	if (unlikely(ret == PARSE_OTHER))
		return;

	if (xdp) {
		segs = 1;
		pod.ifindex = ((struct xdp_md *)ctx)->ingress_ifindex;
	} else {
		struct __sk_buff *skb = ctx;

		segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
		pod.ifindex = skb->ifindex;
	}
	payload = pkt->l3_len - pkt->headers_len;
	bytes = payload + (__u64)segs * pkt->headers_len;

	if (likely(ret == PARSE_TCP)) {
		if (unlikely(pkt->opts.bad))
			count_error(TCPULSE_ERR_BAD_TCP_OPTION);
		flow = flow_stats(pkt, pod.ifindex, dir, 1);
		if (likely(flow != NULL)) {
			count_tcp_packet(flow, pkt, &pod, dir, segs, payload, bytes);
			return;
		}
		count_flowless_handshake(pkt, &pod, dir); /* no room for its flow */
	}
	count_pod_traffic(&pod, dir, segs, bytes);
}

/* The whole per-packet path for one direction of a pod's veth. Never changes the packet's fate. */
static __always_inline void handle_packet(struct __sk_buff *skb, int dir)
{
	struct packet pkt = {};
	int ret = parse_packet(skb, &pkt);

	count_pod_packet(skb, &pkt, ret, dir, 0);
}

/* The same from an XDP program on the pod's host veth (attachMode xdp): what the pod sends. */
static __always_inline void handle_pod_frame(struct xdp_md *xdp, int dir)
{
	struct packet pkt = {};
	int ret = parse_xdp(xdp, &pkt);

	count_pod_packet(xdp, &pkt, ret, dir, 1);
}

#endif /* TCPULSE_FLOW_BPF_H */
