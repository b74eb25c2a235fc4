/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * TCP health from one segment: handshake and its RTT, continuous RTT from timestamps (pping's
 * method), retransmissions, resets, zero-window advertisements, and connection close. Each
 * helper updates the flow, and the pod's per-CPU totals when an event happens; `dir` is the pod's
 * view (egress = sent by the pod).
 */
#ifndef TCPULSE_TCP_HEALTH_BPF_H
#define TCPULSE_TCP_HEALTH_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "tcpulse/abi.h"
#include "hints.bpf.h"
#include "histogram.bpf.h"
#include "clock.bpf.h"
#include "parse.bpf.h"
#include "pod.bpf.h"

/* The tunables (see struct tcpulse_datapath_config): set by the agent before load; read-only
 * data, so the verifier sees constants. Read only where a sample starts or a gap closes, never
 * on every packet. */
const volatile struct tcpulse_datapath_config tcpulse_config = {
	.rtt_sample_interval_ns = TCPULSE_RTT_SAMPLE_INTERVAL_NS_DEFAULT,
	.rtt_sample_expiry_ns = TCPULSE_RTT_SAMPLE_EXPIRY_NS_DEFAULT,
	.reorder_window_ns = TCPULSE_REORDER_WINDOW_NS_DEFAULT,
};

/* Sequence-space comparisons, correct across wraparound. */
static __always_inline int seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

static __always_inline int seq_after(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

static __always_inline void record_rtt(struct tcpulse_flow_stats *flow,
				       struct pod_ref *pod, __u64 rtt)
{
	__u32 rtt32 = rtt > 0xffffffffULL ? 0xffffffff : (__u32)rtt;
	struct tcpulse_pod_stats *stats;

	flow->rtt_sum_ns += rtt;
	if (!flow->rtt_count || rtt32 < flow->rtt_min_ns)
		flow->rtt_min_ns = rtt32;
	if (rtt32 > flow->rtt_max_ns)
		flow->rtt_max_ns = rtt32;
	flow->rtt_count++;
	stats = pod_stats(pod);
	if (!stats)
		return;
	stats->rtt_sum_ns += rtt;
	stats->rtt_buckets[rtt_bucket(rtt)]++;
}

/* A connection opened in the pod's role; with its handshake time if timed. */
static __always_inline void count_opened(struct pod_ref *pod, __u8 role, int timed, __u64 rtt)
{
	struct tcpulse_pod_stats *stats = pod_stats(pod);

	if (!stats)
		return;
	role &= 1;
	stats->opened[role]++;
	if (!timed)
		return;
	stats->handshake_rtt_sum_ns[role] += rtt;
	stats->handshake_rtt_buckets[role][rtt_bucket(rtt)]++;
}

static __always_inline void record_handshake(struct tcpulse_flow_stats *flow,
					     struct pod_ref *pod, __u8 role)
{
	__u64 rtt = tcpulse_now_ns() - flow->syn_ns;

	flow->handshake_rtt_ns = rtt > 0xffffffffULL ? 0xffffffff : (__u32)rtt;
	flow->state = TCPULSE_CONN_ESTABLISHED;
	count_opened(pod, role, 1, rtt);
}

/* SYN, SYN/ACK and the handshake's last ACK. */
static __always_inline void track_handshake(const struct packet *pkt,
					    struct tcpulse_flow_stats *flow,
					    struct pod_ref *pod, int dir)
{
	struct tcpulse_flow_dir *d = tcpulse_flow_dir_of(flow, dir);
	int syn = pkt->flags & TCP_FLAG_SYN, ack = pkt->flags & TCP_FLAG_ACK;

	if (syn) {
		/* A second SYN (or SYN/ACK) the same way is a retry. */
		if (d->events.syns++) {
			struct tcpulse_pod_stats *stats = pod_stats(pod);

			if (stats)
				stats->syn_retries++;
		}
		d->flags |= TCPULSE_DIRF_SYN;
		if (pkt->opts.has_ws) {
			d->wscale = pkt->opts.wscale;
			d->flags |= TCPULSE_DIRF_WSCALE;
		}
		if (!ack) {
			flow->role = dir == TCPULSE_DIR_EGRESS ? TCPULSE_FLOW_ROLE_CLIENT
								   : TCPULSE_FLOW_ROLE_SERVER;
			if (flow->state != TCPULSE_CONN_ESTABLISHED)
				flow->state = TCPULSE_CONN_SYN;
			if (dir == TCPULSE_DIR_EGRESS)
				flow->syn_ns = tcpulse_now_ns(); /* client: last SYN to SYN/ACK */
		} else if (dir == TCPULSE_DIR_EGRESS) {
			flow->syn_ns = tcpulse_now_ns(); /* server: last SYN/ACK to ACK */
		} else if (flow->role == TCPULSE_FLOW_ROLE_CLIENT && flow->state == TCPULSE_CONN_SYN) {
			record_handshake(flow, pod, TCPULSE_ROLE_CLIENT);
		}
		return;
	}
	if (ack && dir == TCPULSE_DIR_INGRESS && flow->role == TCPULSE_FLOW_ROLE_SERVER &&
	    flow->state == TCPULSE_CONN_SYN && (flow->egress.flags & TCPULSE_DIRF_SYN))
		record_handshake(flow, pod, TCPULSE_ROLE_SERVER);
}

/* pping's passive RTT: the first segment leaving the pod with a new TSval starts a sample; the
 * first segment coming back whose TSecr echoes it ends the sample. One sample outstanding per
 * flow, and one started per tcpulse_config.rtt_sample_interval_ns at most: nothing to expire but a
 * slot. ts_moved: the segment's TSval differs from the last one this direction carried
 * (stamp_direction).
 *
 * A sample started by a pure ACK (a receiving pod's only segments) measures the pod's ACK to the
 * sender's data that answers it. That answer is prompt only if the sender is sending: the ACK
 * of a burst's end is echoed by the next burst, idle time included. So such a sample is marked
 * in the low bits of its start time (ns; two bits of precision spared) and stands only if data
 * the sender sent before the ACK reached it arrives after the ACK left (its pipe was full), and
 * the echo itself carries data, as the kernel's receive-side RTT (tcp_rcv_rtt_measure_ts) asks.
 * What it measures is the round trip plus the sender's time to answer: its pacing, and for a
 * bursty sender the pause before a burst that a full pipe did not reveal (README: "RTT"). */
#define RTT_SAMPLE_UNCONFIRMED 1ULL
#define RTT_SAMPLE_FROM_ACK 2ULL
#define RTT_SAMPLE_MARKS (RTT_SAMPLE_UNCONFIRMED | RTT_SAMPLE_FROM_ACK)
static __always_inline void track_rtt(const struct packet *pkt, struct tcpulse_flow_stats *flow,
				      struct pod_ref *pod, int dir, __u32 payload, int ts_moved)
{
	/* The open sample lives in the line of the direction its echo comes back in; when the last
	 * one started, in the line of the direction that starts them. */
	struct tcpulse_flow_dir *in = &flow->ingress;
	struct tcpulse_flow_dir *out = &flow->egress;
	int ack_only, limited;
	__u64 now, open;

	if (unlikely(!pkt->opts.has_ts))
		return;
	if (dir == TCPULSE_DIR_EGRESS) {
		if (likely(!ts_moved))
			return;
		ack_only = !(payload || (pkt->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN)));
		now = tcpulse_now_ns();
		limited = out->ts_sent_ns &&
			  now - out->ts_sent_ns < tcpulse_config.rtt_sample_interval_ns;
		if (limited && ack_only)
			return;
		/* Data takes over a sample an ACK opened (the ACK right before a request would
		 * otherwise take its sample); past that, one sample at a time, at the rate limit. */
		open = in->ts_sent_ns;
		if (ack_only || !(open & RTT_SAMPLE_FROM_ACK)) {
			if (limited)
				return;
			if (open && now - open < tcpulse_config.rtt_sample_expiry_ns)
				return;
		}
		in->tsval_sent = pkt->opts.tsval;
		in->ts_sent_ns = (now & ~RTT_SAMPLE_MARKS) | (ack_only ? RTT_SAMPLE_MARKS : 0);
		out->ts_sent_ns = now;
		return;
	}
	if (likely(!in->ts_sent_ns) || unlikely(!(pkt->flags & TCP_FLAG_ACK)))
		return;
	if (unlikely(pkt->opts.tsecr == in->tsval_sent)) {
		/* An ACK's sample stands only if confirmed, and ended by data: an echo with nothing
		 * before it may have waited for the sender to have something to say. */
		__u64 marks = in->ts_sent_ns & RTT_SAMPLE_MARKS;

		if (!(marks & RTT_SAMPLE_UNCONFIRMED) &&
		    (!(marks & RTT_SAMPLE_FROM_ACK) || payload))
			record_rtt(flow, pod, tcpulse_now_ns() - (in->ts_sent_ns & ~RTT_SAMPLE_MARKS));
		in->ts_sent_ns = 0;
	} else if (unlikely(seq_after(pkt->opts.tsecr, in->tsval_sent))) {
		/* The echo skipped our TSval (ACK of a later segment): start a new sample. */
		in->ts_sent_ns = 0;
	} else if (unlikely(in->ts_sent_ns & RTT_SAMPLE_UNCONFIRMED) && payload) {
		/* Data the sender sent before the ACK reached it, arriving after the ACK left: it was
		 * sending, its pipe still full, and answers the ACK as soon as it gets it. */
		in->ts_sent_ns &= ~RTT_SAMPLE_UNCONFIRMED;
	}
}

/* Without timestamps: how long a gap may take to fill and still be reordering rather than a
 * retransmission (which comes at least an RTT after the original). At least 1 ms: a veth's
 * packets can sit in two CPUs' backlogs and overtake each other by hundreds of microseconds. */
static __always_inline __u64 reorder_window(const struct tcpulse_flow_stats *flow)
{
	__u64 half_rtt = flow->rtt_count ? flow->rtt_min_ns / 2 : flow->handshake_rtt_ns / 2;
	__u64 window = tcpulse_config.reorder_window_ns;

	return half_rtt > window ? half_rtt : window;
}

/* Whether a segment filling the hole is a resend rather than a late original. With timestamps
 * the sender says when it sent it: a resend went out after the segment that revealed the hole,
 * so carries a newer TSval; an equal one (same millisecond) is taken as an original, so that
 * reordering never reads as loss. */
static __always_inline int fills_hole_late(const struct packet *pkt,
					   const struct tcpulse_flow_stats *flow,
					   const struct tcpulse_flow_dir *d,
					   const struct tcpulse_flow_gap *gap)
{
	if (pkt->opts.has_ts && (d->flags & TCPULSE_DIRF_HOLE_TS))
		return seq_after(pkt->opts.tsval, gap->hole_tsval);
	return tcpulse_now_ns() - gap->hole_ns >= reorder_window(flow);
}

/* Classifies a segment with payload against what this direction already carried. Returns 1 if it
 * is a retransmission. */
static __always_inline int is_retransmission(const struct packet *pkt,
					     struct tcpulse_flow_stats *flow, int dir,
					     __u32 payload)
{
	struct tcpulse_flow_dir *d = tcpulse_flow_dir_of(flow, dir);
	struct tcpulse_flow_gap *gap = &d->gap;
	const struct tcpulse_flow_dir *peer = tcpulse_flow_dir_of(flow, !dir);
	__u32 seq = pkt->seq + ((pkt->flags & TCP_FLAG_SYN) ? 1 : 0);
	__u32 end = seq + payload;

	if (unlikely(!(d->flags & TCPULSE_DIRF_SEQ_VALID))) {
		d->seq_high = end;
		d->flags |= TCPULSE_DIRF_SEQ_VALID;
		return 0;
	}
	if (likely(seq_after(end, d->seq_high))) {
		if (unlikely(seq_after(seq, d->seq_high))) { /* skipped bytes: remember the gap */
			gap->hole_start = d->seq_high;
			gap->hole_end = seq;
			gap->hole_ns = tcpulse_now_ns();
			gap->hole_tsval = pkt->opts.tsval;
			d->flags |= TCPULSE_DIRF_HOLE;
			if (pkt->opts.has_ts)
				d->flags |= TCPULSE_DIRF_HOLE_TS;
			else
				d->flags &= ~TCPULSE_DIRF_HOLE_TS;
		}
		d->seq_high = end;
		return 0;
	}
	/* Nothing new. A keep-alive (0 or 1 byte at seq_high - 1) is not a retransmission, nor is a
	 * probe of a window the other side advertised as zero. */
	if (payload <= 1 && seq == d->seq_high - 1)
		return 0;
	if ((peer->flags & TCPULSE_DIRF_SEQ_VALID) && peer->window == 0)
		return 0;
	if ((d->flags & TCPULSE_DIRF_HOLE) && !seq_before(seq, gap->hole_start) &&
	    !seq_after(end, gap->hole_end)) {
		int resent = fills_hole_late(pkt, flow, d, gap);

		if (seq == gap->hole_start)
			gap->hole_start = end;
		else if (end == gap->hole_end)
			gap->hole_end = seq;
		if (!seq_before(gap->hole_start, gap->hole_end))
			d->flags &= ~TCPULSE_DIRF_HOLE;
		if (!resent)
			return 0;
	}
	return 1;
}

static __always_inline void close_flow(struct tcpulse_flow_stats *flow,
				       struct pod_ref *pod)
{
	struct tcpulse_pod_stats *stats;

	if (flow->state == TCPULSE_CONN_ESTABLISHED && (stats = pod_stats(pod)))
		stats->closed++;
	flow->state = TCPULSE_CONN_CLOSED;
}

/* Adds n to one of the pod's per-direction event counters (a __u64 field of tcpulse_pod_dir). */
#define COUNT_POD_EVENT(pod, dir, field, n)                                   \
	do {                                                                  \
		struct tcpulse_pod_stats *stats_ = pod_stats(pod);            \
		if (stats_)                                                   \
			stats_->dir[(dir) & 1].field += (n);                  \
	} while (0)

/* Everything TCP health needs from one segment. Written so that an established connection's
 * segment runs straight through: every event is the unlikely side of its branch. */
static __always_inline void track_tcp(const struct packet *pkt, struct tcpulse_flow_stats *flow,
				      struct pod_ref *pod, int dir, __u32 segs, __u32 payload,
				      int ts_moved)
{
	struct tcpulse_flow_dir *d = tcpulse_flow_dir_of(flow, dir);
	struct tcpulse_flow_events *ev = &d->events;

	if (unlikely(pkt->flags & TCP_FLAG_RST)) {
		ev->rsts++;
		COUNT_POD_EVENT(pod, dir, rsts, 1);
		if (flow->state != TCPULSE_CONN_CLOSED)
			close_flow(flow, pod);
		return;
	}
	/* The handshake: a SYN either way, or (the server's last step) an ACK coming in while one
	 * is under way. Segments coming in check the connection's state only until it is past the
	 * handshake: that state is in a line of its own, which they would otherwise read each time. */
	if (dir == TCPULSE_DIR_INGRESS) {
		if (unlikely(pkt->flags & TCP_FLAG_SYN) || unlikely(!(d->flags & TCPULSE_DIRF_SETTLED))) {
			track_handshake(pkt, flow, pod, dir);
			if (flow->state != TCPULSE_CONN_SYN)
				d->flags |= TCPULSE_DIRF_SETTLED;
			else
				d->flags &= ~TCPULSE_DIRF_SETTLED;
		}
	} else if (unlikely(pkt->flags & TCP_FLAG_SYN)) {
		track_handshake(pkt, flow, pod, dir);
	}
	if (unlikely(pkt->window == 0) && !(pkt->flags & (TCP_FLAG_SYN | TCP_FLAG_FIN))) {
		ev->zero_windows += segs;
		COUNT_POD_EVENT(pod, dir, zero_windows, segs);
	}
	d->window = pkt->window; /* a line the locked adds already hold */
	if (payload && unlikely(is_retransmission(pkt, flow, dir, payload))) {
		ev->retrans_segs += segs;
		ev->retrans_bytes += payload;
		COUNT_POD_EVENT(pod, dir, retrans_segs, segs);
		COUNT_POD_EVENT(pod, dir, retrans_bytes, payload);
	}
	track_rtt(pkt, flow, pod, dir, payload, ts_moved);
	if (unlikely(pkt->flags & TCP_FLAG_FIN)) {
		d->flags |= TCPULSE_DIRF_FIN;
		if ((tcpulse_flow_dir_of(flow, !dir)->flags & TCPULSE_DIRF_FIN) &&
		    flow->state != TCPULSE_CONN_CLOSED)
			close_flow(flow, pod);
	}
}

#endif /* TCPULSE_TCP_HEALTH_BPF_H */
