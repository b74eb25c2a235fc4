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

#define TCPULSE_ABI_VERSION 11

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

/* Who opened a connection, from the pod's point of view: indexes the pods' per-role counters. */
enum tcpulse_role {
	TCPULSE_ROLE_CLIENT = 0, /* the pod sent the SYN */
	TCPULSE_ROLE_SERVER = 1, /* the pod received the SYN */
	TCPULSE_ROLE_COUNT = 2,
};

/* The same, as a flow records it: zero until a SYN shows who opened the connection, so that a new
 * entry needs no initialising (a packet racing the one that creates it could otherwise see, or
 * overwrite, a half-made entry). */
enum tcpulse_flow_role {
	TCPULSE_FLOW_ROLE_UNKNOWN = 0, /* first seen mid-connection */
	TCPULSE_FLOW_ROLE_CLIENT = 1,
	TCPULSE_FLOW_ROLE_SERVER = 2,
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
#define TCPULSE_DIRF_SETTLED (1 << 6)   /* ingress: no handshake under way; its ACKs need no check */

/* One direction's events and last activity: written when they happen, and at most once per tick
 * of the sender's TCP timestamps. */
struct tcpulse_flow_events {
	__u64 last_seen_ns;  /* CLOCK_MONOTONIC at tick resolution */
	__u64 retrans_bytes; /* payload of retransmitted segments */
	__u32 retrans_segs;
	__u32 zero_windows;  /* segments advertising a zero window (not SYN/FIN/RST) */
	__u32 rsts;
	__u32 syns;          /* SYN or SYN/ACK segments: more than one is a retry */
};

/* One direction's sequence gap, for telling retransmissions from reordering: written only when
 * a segment skips or fills bytes. */
struct tcpulse_flow_gap {
	__u64 hole_ns;       /* when the current hole opened */
	__u32 hole_start;
	__u32 hole_end;
	__u32 hole_tsval;    /* TSval of the segment that revealed the hole */
	__u32 pad0;
};

/* One direction of a flow, two 64-byte lines. The first is all that a packet going that way reads
 * and writes; in the flow table an IPv4 flow's first line also holds a copy of its key, so that the
 * packet finds its flow and updates it in this one line. Under load none of the flow's lines is
 * still in this CPU's caches at the next packet, so the datapath's cost is the number of lines a
 * packet touches, and a line the other direction writes (on another CPU) costs both of them more.
 * The second line holds the direction's rarely written events. */
struct tcpulse_flow_dir {
	__u64 key[2];        /* in the table, an IPv4 flow's tcpulse_flow4_key (see the slot); else 0 */
	__u64 packets;       /* wire segments (a GSO packet counts its segments) */
	__u64 bytes;         /* L3 bytes: IP headers + TCP headers + payload */
	__u64 ts_sent_ns;    /* ingress: when tsval_sent left the pod, 0: no RTT sample open;
			      * egress: when the last RTT sample started (the rate limit) */
	__u64 usual_headers; /* IP + TCP header bytes of this direction's usual segment, guessed
			      * once by its first packet; 0: none yet (see tcpulse_flow_payload_bytes).
			      * 64 bits: BPF's compare-and-swap on 32 bits needs cpu v3 */
	__u32 seq_high;      /* end of the highest segment seen */
	__u32 tsval_last;    /* the last TSval this direction carried: a new one stamps last_seen */
	__u32 tsval_sent;    /* ingress only: the pod's TSval whose echo ends the open RTT sample */
	__u16 window;        /* last raw window field advertised */
	__u8 wscale;         /* window scale from the SYN option */
	__u8 flags;          /* TCPULSE_DIRF_* */
	/* second line */
	struct tcpulse_flow_events events;
	struct tcpulse_flow_gap gap;
	__u64 unusual_headers; /* the sum of segs * (header bytes - usual_headers) of the segments
				* whose headers are not the usual size (SYNs, SACKs), modulo 2^64 */
};

/* The flow key's ifindex of a host-namespace socket's flow, seen on an uplink rather than a pod's
 * veth: its pod is the flow's pod_key. No device has it (ifindexes are positive ints), and it
 * keeps the key's first word non-zero (see claim_slot). */
#define TCPULSE_HOST_FLOWS 0x80000000u
/* Host-network pods have keys above it in the pod maps (tcpulse_pods, tcpulse_podacct,
 * tcpulse_podstat), assigned by the agent, which finds them by their cgroups; veth pods are keyed
 * by their host veth's ifindex. */
static inline int tcpulse_is_host_pod_key(__u32 key)
{
	return key > TCPULSE_HOST_FLOWS;
}

/* A direction's TCP payload bytes, retransmissions included: its bytes less its segments' headers.
 * Kept this way rather than as a counter of its own because a third locked add on every packet
 * cost ~10 ns under load (docs/performance.md); most segments' headers are the usual size, and
 * only the others write unusual_headers. A reader racing a packet may see it half counted. */
static inline __u64 tcpulse_flow_payload_bytes(const struct tcpulse_flow_dir *d)
{
	return d->bytes - d->packets * d->usual_headers - d->unusual_headers;
}

/* One TCP connection's state, five cache lines: the egress direction's two, the connection's RTT
 * and handshake, then the ingress direction's two. The connection's line sits between the two
 * directions so that their packets' lines are three lines apart: the CPU's prefetchers, following
 * one direction's packets on one CPU, pull in the lines just after theirs, and when one of those
 * was the other direction's packets' line they took it from the CPU writing it. Two lines apart
 * (ABI v7) still cost the direction behind ~35% of its time under bulk load, one line apart (v6)
 * more (docs/performance.md). In the flow table's slots these are real line boundaries (a slot is a
 * head line and these five, from a page-aligned array), and the next slot's egress line is again
 * three lines after this flow's ingress line. Per-packet counters are updated with atomic adds,
 * since one direction's packets may be handled on two CPUs at once. Reach a direction with
 * tcpulse_flow_dir_of(). */
struct tcpulse_flow_stats {
	struct tcpulse_flow_dir egress;
	__u64 first_seen_ns;    /* CLOCK_MONOTONIC at tick resolution */
	__u64 syn_ns;           /* last SYN (client) or SYN/ACK (server) the pod sent */
	__u64 rtt_sum_ns;
	__u32 rtt_count;
	__u32 rtt_min_ns;
	__u32 rtt_max_ns;
	__u32 handshake_rtt_ns; /* 0 until the handshake is seen */
	__u8 role;              /* enum tcpulse_flow_role */
	__u8 state;             /* enum tcpulse_conn_state */
	__u8 pad0[2];
	/* A host-namespace socket's flow (key ifindex TCPULSE_HOST_FLOWS, seen on an uplink): the
	 * host-network pod it belongs to (its key in tcpulse_pods) and the socket's cgroup, written
	 * once by the packet that created the flow. 0 on a pod veth's flows. */
	__u32 pod_key;
	__u64 cgroup_id;
	__u8 pad1[8];
	struct tcpulse_flow_dir ingress;
};

/* A flow's direction by enum tcpulse_direction; a constant dir folds to one member. */
static inline struct tcpulse_flow_dir *tcpulse_flow_dir_of(struct tcpulse_flow_stats *flow, int dir)
{
	return dir == TCPULSE_DIR_EGRESS ? &flow->egress : &flow->ingress;
}

#ifdef __cplusplus
inline const tcpulse_flow_dir *tcpulse_flow_dir_of(const tcpulse_flow_stats *flow, int dir)
{
	return dir == TCPULSE_DIR_EGRESS ? &flow->egress : &flow->ingress;
}
#endif

/* The flow table: a flow lives in tcpulse_flowtab, an array of slots found by its key's hash,
 * when its slot is free; otherwise (a collision) in its family's overflow hash, tcpulse_flows4 or
 * tcpulse_flows6. The array's lookup is a line read and a compare where the hash's cost a
 * lookup's bucket and key lines and a call (docs/performance.md). Neither ever drops a flow on its
 * own (no LRU): a TCP packet counts in its flow only, so a pod's TCP traffic is its flows' counts,
 * which must never shrink; only the agent removes a flow, after adding its counts to the pod's
 * flow_base (tcpulse_pod_account). A packet whose flow finds no room counts in its pod's slot.
 *
 * A slot's tag says what it holds:
 *   TCPULSE_SLOT_FREE     nothing; its key and stats are zero
 *   tcpulse_flow_tag()    a flow with that hash and family; key[] holds its key, or is being
 *                         written (key[0] still zero: a packet then trusts the 64-bit tag)
 *   TCPULSE_SLOT_RETIRED  the agent retired the flow; the slot is freed after a grace period,
 *                         so that a packet still writing it never lands in the next flow
 * Only the datapath moves a slot from FREE to a tag, with one compare-and-swap: so exactly one
 * packet claims it, and a packet that loses the race finds the winner's tag at once. Only the
 * agent moves a slot from a tag to RETIRED, and back to FREE.
 *
 * For an IPv4 flow the claiming packet then copies the key into both directions' packets' lines
 * (stats.egress.key, stats.ingress.key; first word last), where later packets find it without
 * reading the head line. A copy is only ever the key of the flow that holds the slot: the agent
 * zeroes the copies right after it retires the slot, and a packet that finds no copy (or another
 * key) goes by the tag. */
#define TCPULSE_SLOT_FREE 0ULL
#define TCPULSE_SLOT_RETIRED 2ULL
#define TCPULSE_SLOT_GRACE_NS (1000ULL * 1000 * 1000)

struct tcpulse_flow_slot {
	__u64 tag;
	__u64 retired_ns; /* agent only: CLOCK_MONOTONIC when it retired the flow; 0: not yet noted */
	__u64 pad0;
	__u64 key[5];     /* a tcpulse_flow4_key (first two words, rest zero) or tcpulse_flow6_key */
	struct tcpulse_flow_stats stats;
};

/* murmur3's 64-bit finalizer: every input bit flips each output bit with probability ~1/2. */
static inline __u64 tcpulse_fmix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* A flow key's hash, over its 8-byte words (2 for IPv4, 5 for IPv6). Shared by the datapath and
 * the agent, which must find a flow's slot the same way. Its low bits index the array. */
static inline __u64 tcpulse_flow_hash2(__u64 w0, __u64 w1)
{
	return tcpulse_fmix64(w0 * 0x9e3779b97f4a7c15ULL + w1);
}

static inline __u64 tcpulse_flow_hash5(const __u64 *w)
{
	__u64 acc = w[0];

	acc = acc * 0x9e3779b97f4a7c15ULL + w[1];
	acc = acc * 0x9e3779b97f4a7c15ULL + w[2];
	acc = acc * 0x9e3779b97f4a7c15ULL + w[3];
	return tcpulse_fmix64(acc * 0x9e3779b97f4a7c15ULL + w[4]);
}

/* The tag of a claimed slot: the hash with bit 0 set (never FREE or RETIRED) and bit 1
 * naming the family. Those two bits are also index bits, so hash and tag together lose nothing. */
static inline __u64 tcpulse_flow_tag(__u64 hash, int v6)
{
	return (hash & ~3ULL) | (v6 ? 3ULL : 1ULL);
}

static inline int tcpulse_slot_claimed(__u64 tag)
{
	return (int)(tag & 1);
}

/* Packets and bytes of one direction. */
struct tcpulse_traffic {
	__u64 packets;
	__u64 bytes; /* L3 bytes, all IP protocols */
};

/* A pod's packet and byte counts on one CPU, in the per-CPU array tcpulse_podslot at index
 * ifindex % TCPULSE_POD_SLOTS: every packet without a flow (not TCP, or no room for its flow)
 * counts there without a hash lookup; TCP packets count in their flows. The first pod to
 * send on a CPU claims the slot's copy on that CPU; a pod finding it owned by another counts in
 * tcpulse_podstat instead. A pod's counts are the sum of the copies it owns, less the base its
 * account carries (what a former pod with the same ifindex left), plus tcpulse_podstat's. */
struct tcpulse_pod_slot {
	__u32 ifindex; /* owner on this CPU; 0: free */
	__u32 pad0;
	struct tcpulse_traffic dir[TCPULSE_DIR_COUNT];
	__u64 pad1[3]; /* a slot per cache line */
};
#define TCPULSE_POD_SLOTS 1024

/* One direction of a pod's totals. */
struct tcpulse_pod_dir {
	__u64 packets; /* only what found the pod's slot taken: see tcpulse_pod_slot */
	__u64 bytes;
	__u64 retrans_segs;
	__u64 retrans_bytes;
	__u64 rsts;
	__u64 zero_windows;
};

/* A pod's totals, per CPU, keyed by host veth ifindex: exact however long its flows live.
 * Looked up only for events (RTT samples, handshakes, losses, resets, ...)
 * and for the packets of a pod without a slot. Histograms are per bucket (not cumulative); count = sum of the buckets. */
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
	__u32 flags;                     /* TCPULSE_POD_F_* */
	__u8 ips[TCPULSE_POD_MAX_IPS][16];
};

/* A host-network pod: found by the agent in the kubelet's cgroups, its traffic the uplinks' of its
 * sockets; no veth, no CNI call. Its key is above TCPULSE_HOST_FLOWS. */
#define TCPULSE_POD_F_HOST_NETWORK (1u << 0)

/* A pod's account, in tcpulse_podacct keyed by host veth ifindex: what user space adds to what
 * the datapath counts, so that the pod's counters start at zero and never go back (see the pod
 * ledger, tc-bpf/lib/pod_ledger.h). Opened at the pod's first ADD, folded into by the agent as
 * the pod's flows expire, removed with its record. The datapath never reads it. */
struct tcpulse_pod_account {
	/* The pod's flows are those first seen at or after this (CLOCK_MONOTONIC_COARSE at its first
	 * ADD): a former pod on this ifindex may have left some. */
	__u64 attached_ns;
	struct tcpulse_traffic slot_base[TCPULSE_DIR_COUNT]; /* its slot's copies at that ADD */
	struct tcpulse_traffic flow_base[TCPULSE_DIR_COUNT]; /* what its expired flows counted */
};

/* The datapath's tunables: read-only data (tcpulse_config) that the agent sets from its flags
 * before load, so that an operator changes them without a rebuild. Defaults below, written once
 * for both sides. */
struct tcpulse_datapath_config {
	/* A flow starts at most one RTT sample per this long (pping's rate limit; its default is
	 * 100 ms). Without it a busy flow started one per tick of its TCP timestamps, and under
	 * request/response load the samples cost each packet ~90 ns (docs/performance.md). */
	__u64 rtt_sample_interval_ns;
	/* An RTT sample not echoed within this long is dropped: a lost echo never blocks sampling. */
	__u64 rtt_sample_expiry_ns;
	/* Without an RTT estimate, a gap filled faster than this is reordering, not loss; with one,
	 * half the flow's minimum RTT if longer. */
	__u64 reorder_window_ns;
};
#define TCPULSE_RTT_SAMPLE_INTERVAL_NS_DEFAULT (10ULL * 1000 * 1000)
#define TCPULSE_RTT_SAMPLE_EXPIRY_NS_DEFAULT (10ULL * 1000 * 1000 * 1000)
#define TCPULSE_REORDER_WINDOW_NS_DEFAULT (1000ULL * 1000)

/* Map sizing defaults; the agent may override max_entries before load. The flow table's slots
 * are a power of two; each family's overflow hash (collisions only) holds half as many flows. */
#define TCPULSE_FLOWS_MAX_DEFAULT 65536
#define TCPULSE_FLOWS_OVERFLOW_DEFAULT (TCPULSE_FLOWS_MAX_DEFAULT / 2)
#define TCPULSE_PODS_MAX 4096
/* tcpulse_cgroups: a node's pods' cgroups (a pod's and each of its containers'). */
#define TCPULSE_CGROUPS_MAX 16384

/* C spells it _Static_assert, C++ static_assert: the layouts are checked once, for both. */
#ifdef __cplusplus
#define TCPULSE_ABI_ASSERT static_assert
#else
#define TCPULSE_ABI_ASSERT _Static_assert
#endif
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_flow4_key) == 16, "IPv4 flow key layout");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_flow6_key) == 40, "IPv6 flow key layout");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_flow_dir) == 128 &&
			   __builtin_offsetof(struct tcpulse_flow_dir, events) == 64,
		   "flow direction: the packets' line, then the events' line");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_flow_gap) == 24, "flow gap layout");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_flow_events) == 32, "flow events layout");
TCPULSE_ABI_ASSERT(__builtin_offsetof(struct tcpulse_flow_stats, first_seen_ns) == 128 &&
			   __builtin_offsetof(struct tcpulse_flow_stats, ingress) == 192,
		   "flow stats: the connection's line between the two directions'");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_pod_slot) == 64, "pod slot: one cache line");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_flow_slot) == 384, "flow slot: a head line, then the stats");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_flow_stats) == 320, "flow stats: five cache lines");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_pod_stats) == 608, "pod stats layout");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_pod_info) == 664, "pod info layout");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_pod_account) == 72, "pod account layout");
TCPULSE_ABI_ASSERT(sizeof(struct tcpulse_datapath_config) == 24, "datapath config layout");

#endif /* TCPULSE_ABI_H */
