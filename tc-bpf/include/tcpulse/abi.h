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

#define TCPULSE_ABI_VERSION 3

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
	TCPULSE_ERR_POD_MAP_FULL = 4,  /* could not create a per-pod entry */
	TCPULSE_ERR_BAD_TCP_OPTION = 5, /* option length 0/1 or past the header: options ignored */
	TCPULSE_ERR_COUNT = 6,
};

/* Who opened a connection, from the pod's point of view. */
enum tcpulse_role {
	TCPULSE_ROLE_CLIENT = 0, /* the pod sent the SYN */
	TCPULSE_ROLE_SERVER = 1, /* the pod received the SYN */
	TCPULSE_ROLE_COUNT = 2,
	TCPULSE_ROLE_UNKNOWN = 0xff, /* first seen mid-connection */
};

/* Connection state as the datapath tracks it (enough for opened / closed / active). */
enum tcpulse_conn_state {
	TCPULSE_CONN_MIDSTREAM = 0,   /* first seen after the handshake */
	TCPULSE_CONN_SYN = 1,         /* SYN seen, handshake not complete */
	TCPULSE_CONN_ESTABLISHED = 2, /* handshake seen: counted as opened */
	TCPULSE_CONN_CLOSED = 3,      /* FIN both ways, or RST */
};

/* RTT histogram: bucket i counts samples <= 25 us * 2^i for i < TCPULSE_RTT_BUCKETS - 1 (the last
 * finite bound is 25 us * 2^17 = 3.28 s); the last bucket counts the rest (+Inf). Not cumulative. */
#define TCPULSE_RTT_BUCKETS 19
#define TCPULSE_RTT_BUCKET0_NS 25000

/* Address families as carried in keys (same values as AF_INET/AF_INET6, which BPF C lacks). */
#define TCPULSE_AF_INET 2
#define TCPULSE_AF_INET6 10

/* One TCP connection seen on one pod's host veth, keyed per address family: IPv4 flows live in
 * their own table so that the datapath hashes and compares a 16-byte key rather than 40 bytes
 * (measured: ~80 ns per packet less on this node's bulk traffic). "local" is the pod's end, so
 * both directions of a connection land in the same entry. Ports are in network byte order. No
 * padding: the hash covers every byte of the key. */
struct tcpulse_flow4_key {
	__u32 ifindex; /* host-side veth ifindex: which pod */
	__u16 local_port;
	__u16 remote_port;
	__u8 local_addr[4];
	__u8 remote_addr[4];
};

struct tcpulse_flow6_key {
	__u32 ifindex;
	__u16 local_port;
	__u16 remote_port;
	__u8 local_addr[16];
	__u8 remote_addr[16];
};

/* Per-direction flow state flags. */
#define TCPULSE_DIRF_SEQ_VALID (1 << 0) /* seq_high holds a sequence number */
#define TCPULSE_DIRF_SYN (1 << 1)       /* a SYN (or SYN/ACK) went this way */
#define TCPULSE_DIRF_FIN (1 << 2)       /* a FIN went this way */
#define TCPULSE_DIRF_HOLE (1 << 3)      /* [hole_start, hole_end) was skipped: a gap */
#define TCPULSE_DIRF_WSCALE (1 << 4)    /* wscale came from this direction's SYN */
#define TCPULSE_DIRF_HOLE_TS (1 << 5)   /* hole_tsval holds the TSval of the segment past the hole */

/* One direction of a flow. Written by that direction's program, read by the other for RTT and
 * window probes. */
struct tcpulse_flow_dir {
	__u64 packets;       /* wire segments (a GSO packet counts its segments) */
	__u64 bytes;         /* L3 bytes: IP headers + TCP headers + payload */
	__u64 payload_bytes; /* TCP payload only, retransmissions included */
	__u64 retrans_bytes; /* payload of retransmitted segments */
	__u64 hole_ns;       /* when the current hole opened */
	__u32 retrans_segs;
	__u32 rsts;
	__u32 zero_windows;  /* segments advertising a zero window (not SYN/FIN/RST) */
	__u32 syns;          /* SYN or SYN/ACK segments: more than one is a retry */
	__u32 seq_high;      /* end of the highest segment seen */
	__u32 hole_start;
	__u32 hole_end;
	__u32 hole_tsval;    /* TSval of the segment that revealed the hole */
	__u16 window;        /* last raw window field advertised */
	__u8 wscale;         /* window scale from the SYN option */
	__u8 flags;          /* TCPULSE_DIRF_* */
	__u32 pad0;
};

/* One TCP connection's state. Counters are updated with atomic adds where both programs (and so
 * two CPUs) may touch them; the rest is written by one direction at a time. */
struct tcpulse_flow_stats {
	struct tcpulse_flow_dir dir[TCPULSE_DIR_COUNT]; /* indexed by enum tcpulse_direction */
	__u64 first_seen_ns;    /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 last_seen_ns;
	__u64 syn_ns;           /* last SYN (client) or SYN/ACK (server) the pod sent */
	__u64 ts_sent_ns;       /* when tsval_sent left the pod; 0: no sample outstanding */
	__u64 rtt_sum_ns;
	__u32 rtt_count;
	__u32 rtt_min_ns;
	__u32 rtt_max_ns;
	__u32 handshake_rtt_ns; /* 0 until the handshake is seen */
	__u32 tsval_sent;       /* the pod's TSval awaiting its echo */
	__u32 tsval_last;       /* the pod's last TSval: only a new one starts a sample */
	__u8 role;              /* enum tcpulse_role */
	__u8 state;             /* enum tcpulse_conn_state */
	__u16 pad0;
	__u32 pad1;
};

/* One direction of a pod's totals. */
struct tcpulse_pod_dir {
	__u64 packets;
	__u64 bytes; /* L3 bytes, all IP protocols */
	__u64 retrans_segs;
	__u64 retrans_bytes;
	__u64 rsts;
	__u64 zero_windows;
};

/* A pod's totals, per CPU, keyed by host veth ifindex: exact even when flows are evicted from
 * the LRU flow table. Histograms are per bucket (not cumulative); count = sum of the buckets. */
struct tcpulse_pod_stats {
	struct tcpulse_pod_dir dir[TCPULSE_DIR_COUNT];
	__u64 syn_retries;
	__u64 opened[TCPULSE_ROLE_COUNT];
	__u64 closed;
	__u64 rtt_sum_ns;
	__u64 rtt_buckets[TCPULSE_RTT_BUCKETS];
	__u64 handshake_rtt_sum_ns[TCPULSE_ROLE_COUNT];
	__u64 handshake_rtt_buckets[TCPULSE_ROLE_COUNT][TCPULSE_RTT_BUCKETS];
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
_Static_assert(sizeof(struct tcpulse_flow4_key) == 16, "IPv4 flow key layout");
_Static_assert(sizeof(struct tcpulse_flow6_key) == 40, "IPv6 flow key layout");
_Static_assert(sizeof(struct tcpulse_flow_dir) == 80, "flow direction layout");
_Static_assert(sizeof(struct tcpulse_flow_stats) == 232, "flow stats layout");
_Static_assert(sizeof(struct tcpulse_pod_stats) == 608, "pod stats layout");
_Static_assert(sizeof(struct tcpulse_pod_info) == 664, "pod info layout");
#else
static_assert(sizeof(struct tcpulse_flow4_key) == 16, "IPv4 flow key layout");
static_assert(sizeof(struct tcpulse_flow6_key) == 40, "IPv6 flow key layout");
static_assert(sizeof(struct tcpulse_flow_dir) == 80, "flow direction layout");
static_assert(sizeof(struct tcpulse_flow_stats) == 232, "flow stats layout");
static_assert(sizeof(struct tcpulse_pod_stats) == 608, "pod stats layout");
static_assert(sizeof(struct tcpulse_pod_info) == 664, "pod info layout");
#endif

#endif /* TCPULSE_ABI_H */
