/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Finding a flow's state: its slot in the tcpulse_flowtab array when the slot is free or already
 * its own, else its family's overflow hash. The slot protocol is described at struct
 * tcpulse_flow_slot.
 *
 * A flow never moves between the two: one that went to the overflow hash (its slot was taken)
 * stays there even after its slot frees up, because the hash is looked up before a free slot is
 * claimed. So a connection's state is never split between two entries.
 */
#ifndef TCPULSE_FLOW_TABLE_BPF_H
#define TCPULSE_FLOW_TABLE_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tcpulse/abi.h"
#include "clock.bpf.h"
#include "hints.bpf.h"
#include "maps.bpf.h"

/* The flow table's slot count less one (a power of two). The agent sets it before load to match
 * the array's max_entries; read-only data, so the verifier sees a constant. */
const volatile __u64 tcpulse_flowtab_mask = TCPULSE_FLOWS_MAX_DEFAULT - 1;

static __always_inline __u64 slot_tag(const struct tcpulse_flow_slot *slot)
{
	return *(const volatile __u64 *)&slot->tag;
}

/* Whether a slot tagged with the flow's tag is the flow's: its key is, or is still being written
 * by the packet that claimed the slot (the tag alone then: 64 bits of hash and family). nwords is
 * a constant at each call site. */
static __always_inline int slot_holds(const struct tcpulse_flow_slot *slot, const __u64 *w,
				      __u32 nwords)
{
	__u64 first = *(const volatile __u64 *)&slot->key[0];

	if (first == 0)
		return 1;
	if (first != w[0] || slot->key[1] != w[1])
		return 0;
	if (nwords == 5)
		return slot->key[2] == w[2] && slot->key[3] == w[3] && slot->key[4] == w[4];
	return 1;
}

/* A new flow's first_seen_ns: the one field of a new entry that is not zero. */
static __always_inline struct tcpulse_flow_stats *init_flow(struct tcpulse_flow_stats *flow)
{
	if (!flow) {
		count_error(TCPULSE_ERR_FLOW_INSERT);
		return NULL;
	}
	if (!flow->first_seen_ns)
		flow->first_seen_ns = tcpulse_coarse_now_ns();
	return flow;
}

/* Whether a direction's line holds this IPv4 flow's key: copied there by the packet that claimed
 * the slot, so that later packets find the flow in the line they update anyway. */
static __always_inline int line_holds(const struct tcpulse_flow_dir *d, const __u64 *w)
{
	return *(const volatile __u64 *)&d->key[0] == w[0] && d->key[1] == w[1];
}

/* Copies an IPv4 flow's key into both directions' lines, first word last (as claim_slot). */
static __always_inline void copy_key_to_lines(struct tcpulse_flow_stats *flow, const __u64 *w)
{
	flow->egress.key[1] = w[1];
	flow->ingress.key[1] = w[1];
	__sync_lock_test_and_set(&flow->egress.key[0], w[0]);
	__sync_lock_test_and_set(&flow->ingress.key[0], w[0]);
}

/* Claims a free slot for the flow: 0 if another packet claimed it first. The key's first word
 * (never zero: it holds the ifindex) goes last, with an exchange that orders the others before
 * it, so that a reader seeing it sees the whole key. */
static __always_inline int claim_slot(struct tcpulse_flow_slot *slot, const __u64 *w,
				      __u32 nwords, __u64 tag)
{
	if (__sync_val_compare_and_swap(&slot->tag, TCPULSE_SLOT_FREE, tag) != TCPULSE_SLOT_FREE)
		return 0;
	slot->key[1] = w[1];
	if (nwords == 5) {
		slot->key[2] = w[2];
		slot->key[3] = w[3];
		slot->key[4] = w[4];
	}
	__sync_lock_test_and_set(&slot->key[0], w[0]);
	if (nwords == 2)
		copy_key_to_lines(&slot->stats, w);
	return 1;
}

/* The flow's state, created if new (when create is set, a constant); NULL only if the overflow
 * hash is full (counted), or the flow is new and create is not set. `overflow` is the family's
 * hash and `key` its key, whose nwords 8-byte words are w; dir is the packet's direction, whose
 * line an IPv4 flow's packet checks first. Inlined at one call site per family, so that each sees
 * one hash and the verifier inlines every lookup. */
static __always_inline struct tcpulse_flow_stats *find_flow(void *overflow, const void *key,
							    const __u64 *w, __u32 nwords,
							    __u64 hash, int v6, int dir, int create)
{
	static const struct tcpulse_flow_stats zero;
	__u32 index = hash & tcpulse_flowtab_mask;
	__u64 tag = tcpulse_flow_tag(hash, v6), seen = TCPULSE_SLOT_RETIRED;
	struct tcpulse_flow_slot *slot = bpf_map_lookup_elem(&tcpulse_flowtab, &index);
	struct tcpulse_flow_stats *flow;

	if (likely(slot != NULL)) {
		if (nwords == 2 && likely(line_holds(tcpulse_flow_dir_of(&slot->stats, dir), w)))
			return &slot->stats;
		seen = slot_tag(slot);
		if (seen == tag && slot_holds(slot, w, nwords))
			return &slot->stats;
	}
	flow = bpf_map_lookup_elem(overflow, key);
	if (flow || !create)
		return flow;
	if (slot && seen == TCPULSE_SLOT_FREE) {
		/* Claimed by this packet, or by another of the same flow that won the race. */
		if (claim_slot(slot, w, nwords, tag) || (slot_tag(slot) == tag && slot_holds(slot, w, nwords)))
			return init_flow(&slot->stats);
	}
	return init_flow(lookup_or_create(overflow, key, &zero));
}

#endif /* TCPULSE_FLOW_TABLE_BPF_H */
