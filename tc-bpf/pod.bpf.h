/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A pod's totals. A TCP packet counts in its flow, which the agent adds to its pod; any other
 * packet (or one whose flow found no room) counts in the pod's per-CPU slot (an array index, no
 * hash). The per-CPU hash tcpulse_podstat is looked up only when a packet brings an event worth
 * counting (RTT sample, handshake, loss, reset, zero window, close) or finds its slot taken. Under
 * load the hash lookup cost ~40 ns per packet, most of it in cache misses, and the slot ~15 ns
 * (docs/performance.md).
 */
#ifndef TCPULSE_POD_BPF_H
#define TCPULSE_POD_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tcpulse/abi.h"
#include "hints.bpf.h"
#include "maps.bpf.h"

/* The pod a packet belongs to; its tcpulse_podstat entry is found on first use. */
struct pod_ref {
	struct tcpulse_pod_stats *stats;
	__u32 ifindex;
	__u32 full; /* the map refused the entry: counted once, not retried for each event */
};

/* The pod's per-CPU totals, looked up (or created) on first use. NULL if the map is full. */
static __always_inline struct tcpulse_pod_stats *pod_stats(struct pod_ref *pod)
{
	static const struct tcpulse_pod_stats zero;

	if (pod->stats || pod->full)
		return pod->stats;
	pod->stats = lookup_or_create(&tcpulse_podstat, &pod->ifindex, &zero);
	if (!pod->stats) {
		pod->full = 1;
		count_error(TCPULSE_ERR_POD_MAP_FULL);
	}
	return pod->stats;
}

/* Counts one packet (segs wire segments) in the pod's slot on this CPU, claiming the slot if it
 * is free. Per-CPU, and a program never runs nested on its CPU, so plain adds are exact. */
static __always_inline void count_pod_traffic(struct pod_ref *pod, int dir, __u32 segs,
					      __u64 bytes)
{
	__u32 index = pod->ifindex % TCPULSE_POD_SLOTS;
	struct tcpulse_pod_slot *slot = bpf_map_lookup_elem(&tcpulse_podslot, &index);
	struct tcpulse_pod_stats *stats;

	if (unlikely(slot && !slot->ifindex))
		slot->ifindex = pod->ifindex;
	if (likely(slot && slot->ifindex == pod->ifindex)) {
		slot->dir[dir & 1].packets += segs;
		slot->dir[dir & 1].bytes += bytes;
		return;
	}
	stats = pod_stats(pod); /* another pod owns the slot on this CPU */
	if (!stats)
		return;
	stats->dir[dir & 1].packets += segs;
	stats->dir[dir & 1].bytes += bytes;
}

#endif /* TCPULSE_POD_BPF_H */
