/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The one contract between the tcpulse datapath (BPF C) and user space (C++).
 *
 * Both sides include this file; user space never re-declares these structs. Plain C, only __u*
 * types, explicit padding, sizes asserted at the bottom. Any change to a layout here must bump
 * TCPULSE_ABI_VERSION, because the pins live under a directory named after it and the agent
 * reuses pinned maps across restarts.
 */
#ifndef TCPULSE_ABI_H
#define TCPULSE_ABI_H

#include <linux/types.h>

#define TCPULSE_ABI_VERSION 1

/* Directions are always from the pod's point of view. The program on the host veth's tc ingress
 * sees what the pod sends (egress); the one on tc egress sees what it receives (ingress). */
enum tcpulse_direction {
	TCPULSE_DIR_EGRESS = 0,
	TCPULSE_DIR_INGRESS = 1,
	TCPULSE_DIR_COUNT = 2,
};

/* Datapath error reasons: index into the per-CPU tcpulse_errors array. Never printed, only
 * counted; the agent exports them as tcpulse_datapath_errors_total{reason}. */
enum tcpulse_error {
	TCPULSE_ERR_TRUNCATED_IP = 0,  /* packet ends inside the IPv4/IPv6 header */
	TCPULSE_ERR_BAD_IP_HEADER = 1, /* IPv4 IHL < 5 or version mismatch */
	TCPULSE_ERR_TRUNCATED_TCP = 2, /* packet ends inside the TCP header, or data offset < 5 */
	TCPULSE_ERR_FLOW_INSERT = 3,   /* could not create a flow entry */
	TCPULSE_ERR_POD_MAP_FULL = 4,  /* could not create a per-pod traffic entry */
	TCPULSE_ERR_COUNT = 5,
};

/* Address families as carried in keys (same values as AF_INET/AF_INET6, which BPF C lacks). */
#define TCPULSE_AF_INET 2
#define TCPULSE_AF_INET6 10

/* One TCP connection seen on one pod's host veth. "local" is the pod's end, so both directions
 * of a connection land in the same entry. Ports are in network byte order; an IPv4 address uses
 * the first 4 bytes of its array and the rest stays zero. Zero the whole key before filling it:
 * the hash covers the padding. */
struct tcpulse_flow_key {
	__u32 ifindex; /* host-side veth ifindex: which pod */
	__u8 family;   /* TCPULSE_AF_INET or TCPULSE_AF_INET6 */
	__u8 protocol; /* IPPROTO_TCP */
	__u16 pad0;
	__u16 local_port;
	__u16 remote_port;
	__u8 local_addr[16];
	__u8 remote_addr[16];
};

/* Per-flow counters, indexed by enum tcpulse_direction. Shared by both programs (and so both CPUs
 * a connection's two directions may run on): updated with atomic adds. */
struct tcpulse_flow_stats {
	__u64 packets[TCPULSE_DIR_COUNT];       /* wire segments (a GSO packet counts its segments) */
	__u64 bytes[TCPULSE_DIR_COUNT];         /* L3 bytes: IP headers + TCP headers + payload */
	__u64 payload_bytes[TCPULSE_DIR_COUNT]; /* TCP payload only */
	__u64 first_seen_ns;                    /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 last_seen_ns;
};

/* Per-pod IP traffic, all protocols, keyed by host veth ifindex in a per-CPU hash. Exact even
 * when flows are evicted from the LRU flow table. */
struct tcpulse_pod_traffic {
	__u64 packets[TCPULSE_DIR_COUNT];
	__u64 bytes[TCPULSE_DIR_COUNT]; /* L3 bytes */
};

#define TCPULSE_POD_NAMESPACE_LEN 64  /* a DNS label: 63 + NUL */
#define TCPULSE_POD_NAME_LEN 256      /* a DNS subdomain: 253 + NUL, rounded */
#define TCPULSE_POD_UID_LEN 48        /* a UUID: 36 + NUL, rounded */
#define TCPULSE_CONTAINER_ID_LEN 128  /* runtimes use 64 hex chars; room for others */
#define TCPULSE_IFNAME_LEN 16         /* IFNAMSIZ */
#define TCPULSE_NETWORK_LEN 64        /* the CNI network name */
#define TCPULSE_POD_MAX_IPS 4

/* Who a host veth belongs to. Written by the CNI plugin at ADD, removed at DEL or by the agent's
 * garbage collection. Strings are NUL-terminated and truncated to fit. container_id + ifname +
 * netns_ino identify the sandbox attachment, so a stale DEL never removes a newer pod's record
 * after ifindex reuse. */
struct tcpulse_pod_info {
	char pod_namespace[TCPULSE_POD_NAMESPACE_LEN];
	char pod_name[TCPULSE_POD_NAME_LEN];
	char pod_uid[TCPULSE_POD_UID_LEN];
	char container_id[TCPULSE_CONTAINER_ID_LEN];
	char ifname[TCPULSE_IFNAME_LEN]; /* CNI_IFNAME, the interface inside the pod */
	char network[TCPULSE_NETWORK_LEN]; /* CNI network name: GC is scoped to one network */
	__u64 netns_ino;                 /* inode of the pod's network namespace */
	__u64 added_unix_ns;             /* CLOCK_REALTIME at ADD */
	__u8 ip_family[TCPULSE_POD_MAX_IPS]; /* 0 = unused slot */
	__u32 pad0;
	__u8 ips[TCPULSE_POD_MAX_IPS][16];
};

/* Map sizing defaults; the agent may override max_entries before load. */
#define TCPULSE_FLOWS_MAX_DEFAULT 65536
#define TCPULSE_PODS_MAX 4096

#ifndef __cplusplus
_Static_assert(sizeof(struct tcpulse_flow_key) == 44, "flow key layout");
_Static_assert(sizeof(struct tcpulse_flow_stats) == 64, "flow stats layout");
_Static_assert(sizeof(struct tcpulse_pod_traffic) == 32, "pod traffic layout");
_Static_assert(sizeof(struct tcpulse_pod_info) == 664, "pod info layout");
#else
static_assert(sizeof(struct tcpulse_flow_key) == 44, "flow key layout");
static_assert(sizeof(struct tcpulse_flow_stats) == 64, "flow stats layout");
static_assert(sizeof(struct tcpulse_pod_traffic) == 32, "pod traffic layout");
static_assert(sizeof(struct tcpulse_pod_info) == 664, "pod info layout");
#endif

#endif /* TCPULSE_ABI_H */
