/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Handshakes of connections the flow table had no room for. Their packets still count in their
 * pod (pod.bpf.h), and their openings too, from TCP flags alone: a SYN/ACK coming into the pod
 * opens a client connection, the first SYN/ACK the pod sends opens a server connection. A small
 * LRU remembers when the SYN (or SYN/ACK) left, to time the handshake as tcp_health.bpf.h does,
 * and tells retries from new connections. Losing an entry to the LRU loses one handshake's time,
 * never a count. Reached only when a flow could not be created, never on the per-packet path.
 */
#ifndef TCPULSE_FLOWLESS_HANDSHAKE_BPF_H
#define TCPULSE_FLOWLESS_HANDSHAKE_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tcpulse/abi.h"
#include "clock.bpf.h"
#include "flow_key.bpf.h"
#include "parse.bpf.h"
#include "pod.bpf.h"
#include "tcp_health.bpf.h"

enum syn_wait_state {
	SYN_WAIT_CLIENT_SYN = 1,     /* the pod sent a SYN */
	SYN_WAIT_CLIENT_OPEN = 2,    /* ... and its SYN/ACK came: counted */
	SYN_WAIT_SERVER_SYNACK = 3,  /* the pod sent a SYN/ACK: counted */
	SYN_WAIT_SERVER_OPEN = 4,    /* ... and the handshake's last ACK came: timed */
};

struct syn_wait {
	__u64 ns; /* when the pod's last SYN (client) or SYN/ACK (server) left */
	__u32 state;
	__u32 pad0;
};

/* Keyed like an IPv6 flow; an IPv4 flow's addresses fill the first 8 address bytes. The datapath's
 * own: the agent never reads it, and an agent restart losing it loses a few handshakes' times. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct tcpulse_flow6_key);
	__type(value, struct syn_wait);
} tcpulse_synwait SEC(".maps");

static __always_inline void set_syn_wait(const struct tcpulse_flow6_key *key, __u32 state)
{
	struct syn_wait wait = {.ns = tcpulse_now_ns(), .state = state};

	bpf_map_update_elem(&tcpulse_synwait, key, &wait, BPF_ANY);
}

static __always_inline void count_flowless_handshake(const struct packet *pkt,
						     struct pod_ref *pod, int dir)
{
	int syn = pkt->flags & TCP_FLAG_SYN, ack = pkt->flags & TCP_FLAG_ACK;
	struct tcpulse_flow6_key key = {};
	struct tcpulse_pod_stats *stats;
	struct syn_wait *wait;

	/* Only SYNs, SYN/ACKs and ACKs coming into the pod take part in a handshake. */
	if (!syn && !(ack && dir == TCPULSE_DIR_INGRESS))
		return;
	if (pkt->family == TCPULSE_AF_INET6)
		build_flow_key(&key, pkt, pod->ifindex, dir, 16);
	else
		build_flow_key(&key, pkt, pod->ifindex, dir, 4);
	wait = bpf_map_lookup_elem(&tcpulse_synwait, &key);

	if (syn && dir == TCPULSE_DIR_EGRESS) {
		__u32 state = ack ? SYN_WAIT_SERVER_SYNACK : SYN_WAIT_CLIENT_SYN;

		if (wait && wait->state == state) { /* the pod's SYN or SYN/ACK again */
			stats = pod_stats(pod);
			if (stats)
				stats->syn_retries++;
			wait->ns = tcpulse_now_ns();
			return;
		}
		if (ack)
			count_opened(pod, TCPULSE_ROLE_SERVER, 0, 0);
		set_syn_wait(&key, state);
		return;
	}
	if (syn && ack) { /* a SYN/ACK coming in: the pod's connection was accepted */
		if (wait && wait->state == SYN_WAIT_CLIENT_OPEN)
			return; /* the peer's SYN/ACK again: counted once */
		if (wait && wait->state == SYN_WAIT_CLIENT_SYN)
			count_opened(pod, TCPULSE_ROLE_CLIENT, 1, tcpulse_now_ns() - wait->ns);
		else
			count_opened(pod, TCPULSE_ROLE_CLIENT, 0, 0);
		set_syn_wait(&key, SYN_WAIT_CLIENT_OPEN);
		return;
	}
	if (!syn && wait && wait->state == SYN_WAIT_SERVER_SYNACK) { /* the handshake's last ACK */
		__u64 rtt = tcpulse_now_ns() - wait->ns;

		stats = pod_stats(pod);
		if (stats) {
			stats->handshake_rtt_sum_ns[TCPULSE_ROLE_SERVER] += rtt;
			stats->handshake_rtt_buckets[TCPULSE_ROLE_SERVER][rtt_bucket(rtt)]++;
		}
		wait->state = SYN_WAIT_SERVER_OPEN;
	}
}

#endif /* TCPULSE_FLOWLESS_HANDSHAKE_BPF_H */
