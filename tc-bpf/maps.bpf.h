/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The datapath's maps. All are pinned by name under the agent's pin dir so that counters survive
 * agent restarts and the CNI plugin can write pod records without loading anything. */
#ifndef TCPULSE_MAPS_BPF_H
#define TCPULSE_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tcpulse/abi.h"

/* The flow table: see struct tcpulse_flow_slot. Mmapable, so that the agent reads it without a
 * syscall per flow and retires a slot with single, ordered stores. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TCPULSE_FLOWS_MAX_DEFAULT);
	__type(key, __u32);
	__type(value, struct tcpulse_flow_slot);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcpulse_flowtab SEC(".maps");

/* Flows whose slot another flow holds, one table per address family, for a short IPv4 key. Plain
 * hashes, not LRU: an evicted flow would take its packets out of its pod's TCP traffic (see
 * tcpulse_flow_slot). When one is full a new flow's packets count in its pod's slot, and the
 * agent's expiry of closed and idle flows makes room. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCPULSE_FLOWS_OVERFLOW_DEFAULT);
	__type(key, struct tcpulse_flow4_key);
	__type(value, struct tcpulse_flow_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcpulse_flows4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCPULSE_FLOWS_OVERFLOW_DEFAULT);
	__type(key, struct tcpulse_flow6_key);
	__type(value, struct tcpulse_flow_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcpulse_flows6 SEC(".maps");

/* Written by user space only (CNI plugin, agent); the programs never read it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCPULSE_PODS_MAX);
	__type(key, __u32);
	__type(value, struct tcpulse_pod_info);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcpulse_pods SEC(".maps");

/* Written by user space only: each pod's account (tcpulse_pod_account); the programs never read
 * it. Declared here so that it is pinned with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCPULSE_PODS_MAX);
	__type(key, __u32);
	__type(value, struct tcpulse_pod_account);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcpulse_podacct SEC(".maps");

/* Written by user space only (the agent, from the kubelet's cgroups): a socket's cgroup id -> the
 * key of its host-network pod, for the uplink programs (host_flow.bpf.h). A socket in no pod's
 * cgroup (the kubelet, sshd) is not looked for further. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCPULSE_CGROUPS_MAX);
	__type(key, __u64);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcpulse_cgroups SEC(".maps");

/* Per-pod counts of packets without a flow, without a hash lookup: see struct tcpulse_pod_slot.
 * 64 KiB per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCPULSE_POD_SLOTS);
	__type(key, __u32);
	__type(value, struct tcpulse_pod_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcpulse_podslot SEC(".maps");

/* Per-CPU so the hot path needs no atomics; the agent sums the CPUs. Not preallocated: a 608-byte
 * value per CPU per possible pod would be 160 MB on a 64-CPU node. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, TCPULSE_PODS_MAX);
	__type(key, __u32);
	__type(value, struct tcpulse_pod_stats);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcpulse_podstat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TCPULSE_ERR_COUNT);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tcpulse_errors SEC(".maps");

static __always_inline void count_error(enum tcpulse_error reason)
{
	__u32 key = reason;
	__u64 *count = bpf_map_lookup_elem(&tcpulse_errors, &key);

	if (count)
		*count += 1;
}

#ifndef EEXIST
#define EEXIST 17
#endif

/* Looks a key up, creating a zeroed entry if absent. NULL only if the map refused the insert. */
static __always_inline void *lookup_or_create(void *map, const void *key, const void *zero)
{
	void *value = bpf_map_lookup_elem(map, key);
	long err;

	if (value)
		return value;
	err = bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	if (err && err != -EEXIST) /* -EEXIST: another CPU created it first */
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

#endif /* TCPULSE_MAPS_BPF_H */
