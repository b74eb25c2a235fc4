/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Header parsing for packets seen on a pod's host veth (always Ethernet framed).
 *
 * Read-only by design: headers are read in place when they are in the skb's linear area (always,
 * for what a pod's TCP stack sends) and copied out with bpf_skb_load_bytes otherwise. Never
 * bpf_skb_pull_data: TCP transmits clones, and pulling a clone copies its headers
 * (pskb_expand_head), which once cost every bulk packet ~350 ns here.
 */
#ifndef TCPULSE_PARSE_BPF_H
#define TCPULSE_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "tcpulse/abi.h"
#include "hints.bpf.h"

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
/* Ethernet + the largest IPv4 header + the largest TCP header: all we ever read. */
#define MAX_HEADERS_LEN (ETH_HLEN + 60 + 60)

enum parse_result {
	PARSE_TCP = 0,       /* IP + a whole TCP header: a flow */
	PARSE_IP = 1,        /* IP, but not TCP (or a non-first fragment): pod traffic only */
	PARSE_OTHER = 2,     /* not IP (ARP, ...): ignored */
	PARSE_MALFORMED = 3, /* packet->error says why; counted, nothing else touched */
};

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_WINDOW 3
#define TCPOPT_TIMESTAMP 8
#define TCP_OPTIONS_MAX_LEN 40
/* More than any real option block holds (40 bytes: e.g. MSS, SACK-OK, TS, NOP, WS is 5). */
#define MAX_TCP_OPTIONS 16

/* What the TCP options say, as far as we use them. */
struct tcp_opts {
	__u32 tsval;
	__u32 tsecr;
	__u8 has_ts;
	__u8 has_ws;
	__u8 wscale;
	__u8 bad; /* an option of length < 2, or past the header: options ignored */
};

/* Everything the datapath uses from a packet, copied out of it. */
struct packet {
	__u8 family;
	__u8 protocol;
	__u16 headers_len; /* IP header + TCP header, per segment */
	__u32 l3_len;      /* IP header onwards, of this skb (a GSO skb holds several segments) */
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport; /* network byte order */
	__u16 dport;
	/* TCP, host byte order */
	__u32 seq;
	__u32 ack;
	__u16 window;
	__u8 flags; /* TCP_FLAG_* */
	__u8 error; /* enum tcpulse_error, when the result is PARSE_MALFORMED */
	struct tcp_opts opts;
};

#ifdef TCPULSE_TEST_HOOKS
/* Set by tests to send every packet through the copying parser, which real traffic reaches only
 * when headers lie outside the linear area (BPF_PROG_TEST_RUN skbs are always linear); counted so
 * that tests see it was taken. */
__u32 tcpulse_test_copy_headers = 0;
__u64 tcpulse_test_copied_packets = 0;
#define COPY_HEADERS_ALWAYS() (tcpulse_test_copy_headers != 0)
#define COUNT_COPIED_PACKET() (tcpulse_test_copied_packets++)
#else
#define COPY_HEADERS_ALWAYS() 0
#define COUNT_COPIED_PACKET() ((void)0)
#endif

static __always_inline int malformed(struct packet *pkt, enum tcpulse_error reason)
{
	pkt->error = reason;
	return PARSE_MALFORMED;
}

static __always_inline __u32 be32_at(const __u8 *p)
{
	return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) | p[3];
}

/* Reads timestamps and window scale from a copy of the TCP options, len (1..40) bytes. */
static __always_inline void walk_tcp_options(const __u8 *bytes, __u32 len, struct tcp_opts *out)
{
	__u32 pos = 0;

	for (int i = 0; i < MAX_TCP_OPTIONS; i++) {
		const __u8 *p = &bytes[pos & 63];
		__u8 kind, olen;

		if (pos >= len)
			return;
		kind = p[0];
		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP) {
			pos++;
			continue;
		}
		olen = p[1];
		if (pos + 2 > len || olen < 2 || pos + olen > len) {
			out->bad = 1;
			return;
		}
		if (kind == TCPOPT_TIMESTAMP && olen == 10) {
			out->tsval = be32_at(p + 2);
			out->tsecr = be32_at(p + 6);
			out->has_ts = 1;
		} else if (kind == TCPOPT_WINDOW && olen == 3) {
			out->wscale = p[2];
			out->has_ws = 1;
		}
		pos += olen;
	}
}

/* Walks the TCP options at [off, off + len) of the packet for timestamps and window scale, from
 * a copy (the options of SYNs and SACKs; the usual NOP NOP TS is read in place by the caller).
 *
 * A global (not inlined) function on purpose: the verifier checks it once, on its own, and the
 * caller sees only its result in *out. Inlined, the unrolled walk multiplied the verifier's states
 * through everything after it (669k instructions processed per program instead of ~2k). */
__noinline int tcpulse_tcp_options(struct __sk_buff *skb, __u32 off, __u32 len,
				   struct tcp_opts *out)
{
	/* Indexes are masked to 0..63 and the longest read is 10 bytes: 80 keeps every read inside. */
	__u8 bytes[80] = {};

	if (!out || len == 0 || len > TCP_OPTIONS_MAX_LEN)
		return 0;
	/* == len (1..40), written so the verifier sees the bounds the check above gives it. */
	if (bpf_skb_load_bytes(skb, off, bytes, ((len - 1) & 63) + 1)) {
		out->bad = 1;
		return 0;
	}
	walk_tcp_options(bytes, len, out);
	return 0;
}

/* The same for an XDP frame (the uplink's receive side, a pod veth in attachMode xdp). */
__noinline int tcpulse_xdp_tcp_options(struct xdp_md *xdp, __u32 off, __u32 len,
				       struct tcp_opts *out)
{
	__u8 bytes[80] = {};

	if (!out || len == 0 || len > TCP_OPTIONS_MAX_LEN)
		return 0;
	if (bpf_xdp_load_bytes(xdp, off, bytes, ((len - 1) & 63) + 1)) {
		out->bad = 1;
		return 0;
	}
	walk_tcp_options(bytes, len, out);
	return 0;
}

/* How a program parses (constants, folded away): */
#define PARSE_F_XDP 1  /* ctx is a struct xdp_md, not a struct __sk_buff */
/* l3_len is the IP header's length where the frame is longer: a NIC's frames carry Ethernet's
 * padding (a 54-byte ACK arrives as 60 bytes), a veth's never do. 0 (BIG TCP) or more than the
 * frame (a GSO or GRO packet's first header) keeps the frame's. */
#define PARSE_F_IP_LENGTH 2

static __always_inline void trim_to_ip_length(struct packet *pkt, __u32 ip_len, __u32 min_len)
{
	if (ip_len >= min_len && ip_len < pkt->l3_len)
		pkt->l3_len = ip_len;
}

/* The IPv4 header's fields. PARSE_TCP when a TCP header follows, at headers_len. */
static __always_inline int ipv4_fields(struct packet *pkt, const struct iphdr *iph, int flags)
{
	__u32 hlen = iph->ihl * 4;

	if (flags & PARSE_F_IP_LENGTH)
		trim_to_ip_length(pkt, bpf_ntohs(iph->tot_len), hlen);
	if (iph->version != 4 || hlen < sizeof(*iph) || hlen > pkt->l3_len)
		return malformed(pkt, TCPULSE_ERR_BAD_IP_HEADER);
	pkt->family = TCPULSE_AF_INET;
	pkt->protocol = iph->protocol;
	pkt->headers_len = hlen;
	__builtin_memcpy(pkt->saddr, &iph->saddr, 4);
	__builtin_memcpy(pkt->daddr, &iph->daddr, 4);
	/* Only the first fragment carries the TCP header. */
	if (iph->protocol != IPPROTO_TCP || (iph->frag_off & bpf_htons(IP_OFFSET)))
		return PARSE_IP;
	return PARSE_TCP;
}

/* The IPv6 header's fields. PARSE_TCP when a TCP header follows, at headers_len. */
static __always_inline int ipv6_fields(struct packet *pkt, const struct ipv6hdr *ip6h, int flags)
{
	if (flags & PARSE_F_IP_LENGTH)
		trim_to_ip_length(pkt, sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len), sizeof(*ip6h) + 1);
	if (ip6h->version != 6 || sizeof(*ip6h) > pkt->l3_len)
		return malformed(pkt, TCPULSE_ERR_BAD_IP_HEADER);
	pkt->family = TCPULSE_AF_INET6;
	pkt->protocol = ip6h->nexthdr;
	pkt->headers_len = sizeof(*ip6h);
	__builtin_memcpy(pkt->saddr, &ip6h->saddr, 16);
	__builtin_memcpy(pkt->daddr, &ip6h->daddr, 16);
	/* TCP behind extension headers is rare for pod traffic; counted as IP traffic only. */
	if (ip6h->nexthdr != IPPROTO_TCP)
		return PARSE_IP;
	return PARSE_TCP;
}

/* The fixed TCP header's fields. Returns the header's length with options, or 0 if malformed. */
static __always_inline __u32 tcp_fields(struct packet *pkt, const struct tcphdr *th)
{
	__u32 doff = th->doff * 4;

	if (doff < sizeof(*th) || pkt->headers_len + doff > pkt->l3_len)
		return 0;
	pkt->headers_len += doff;
	pkt->sport = th->source;
	pkt->dport = th->dest;
	pkt->seq = bpf_ntohl(th->seq);
	pkt->ack = bpf_ntohl(th->ack_seq);
	pkt->window = bpf_ntohs(th->window);
	pkt->flags = ((const __u8 *)th)[13];
	return doff;
}

/* Parses from copies of the headers: for headers outside the linear area. A global function so
 * the verifier checks this rarely taken path once, apart from the per-packet one. */
__noinline int tcpulse_parse_copied(struct __sk_buff *skb, struct packet *pkt)
{
	struct tcphdr th;
	__u32 l4_off, doff;
	int ret;

	if (!pkt)
		return PARSE_OTHER;
	COUNT_COPIED_PACKET();
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr iph;

		if (bpf_skb_load_bytes(skb, ETH_HLEN, &iph, sizeof(iph)))
			return malformed(pkt, TCPULSE_ERR_TRUNCATED_IP);
		ret = ipv4_fields(pkt, &iph, 0);
	} else {
		struct ipv6hdr ip6h;

		if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip6h, sizeof(ip6h)))
			return malformed(pkt, TCPULSE_ERR_TRUNCATED_IP);
		ret = ipv6_fields(pkt, &ip6h, 0);
	}
	if (ret != PARSE_TCP)
		return ret;
	l4_off = ETH_HLEN + pkt->headers_len;
	if (bpf_skb_load_bytes(skb, l4_off, &th, sizeof(th)))
		return malformed(pkt, TCPULSE_ERR_TRUNCATED_TCP);
	doff = tcp_fields(pkt, &th);
	if (!doff)
		return malformed(pkt, TCPULSE_ERR_TRUNCATED_TCP);
	if (doff > sizeof(th))
		tcpulse_tcp_options(skb, l4_off + sizeof(th), doff - sizeof(th), &pkt->opts);
	return PARSE_TCP;
}

/* The TCP header in place. */
static __always_inline int parse_tcp(void *ctx, struct packet *pkt, void *l4, void *data_end,
				     int flags)
{
	struct tcphdr *th = l4;
	__u32 doff, off;

	if ((void *)(th + 1) > data_end)
		return malformed(pkt, TCPULSE_ERR_TRUNCATED_TCP);
	doff = tcp_fields(pkt, th);
	if (!doff)
		return malformed(pkt, TCPULSE_ERR_TRUNCATED_TCP);
	if (doff == sizeof(*th) + 12) {
		/* What nearly every data segment carries: NOP, NOP, timestamps. Read it in place. */
		__u32 *opt = (__u32 *)(th + 1);

		if ((void *)(opt + 3) <= data_end && opt[0] == bpf_htonl(0x0101080a)) {
			pkt->opts.tsval = bpf_ntohl(opt[1]);
			pkt->opts.tsecr = bpf_ntohl(opt[2]);
			pkt->opts.has_ts = 1;
			return PARSE_TCP;
		}
	}
	if (doff > sizeof(*th)) {
		/* The offset from the context's data, read again here (rare: SYNs and SACKs) rather than
		 * kept live through the parse. */
		if (flags & PARSE_F_XDP) {
			off = (__u32)((void *)(th + 1) - (void *)(long)((struct xdp_md *)ctx)->data);
			tcpulse_xdp_tcp_options(ctx, off, doff - sizeof(*th), &pkt->opts);
		} else {
			off = (__u32)((void *)(th + 1) - (void *)(long)((struct __sk_buff *)ctx)->data);
			tcpulse_tcp_options(ctx, off, doff - sizeof(*th), &pkt->opts);
		}
	}
	return PARSE_TCP;
}

static __always_inline int parse_ipv4(void *ctx, struct packet *pkt, void *l3, void *data_end,
				      int flags)
{
	struct iphdr *iph = l3;
	int ret;

	if ((void *)(iph + 1) > data_end)
		return malformed(pkt, TCPULSE_ERR_TRUNCATED_IP);
	ret = ipv4_fields(pkt, iph, flags);
	if (ret != PARSE_TCP)
		return ret;
	return parse_tcp(ctx, pkt, l3 + (iph->ihl * 4), data_end, flags);
}

static __always_inline int parse_ipv6(void *ctx, struct packet *pkt, void *l3, void *data_end,
				      int flags)
{
	struct ipv6hdr *ip6h = l3;
	int ret;

	if ((void *)(ip6h + 1) > data_end)
		return malformed(pkt, TCPULSE_ERR_TRUNCATED_IP);
	ret = ipv6_fields(pkt, ip6h, flags);
	if (ret != PARSE_TCP)
		return ret;
	return parse_tcp(ctx, pkt, l3 + sizeof(*ip6h), data_end, flags);
}

/* Fills pkt from skb. Returns enum parse_result; for PARSE_MALFORMED, pkt->error says why.
 * flags: PARSE_F_IP_LENGTH or 0. */
static __always_inline int parse_skb(struct __sk_buff *skb, struct packet *pkt, int flags)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 wanted;
	int ret;

	if (skb->protocol != bpf_htons(ETH_P_IP) && skb->protocol != bpf_htons(ETH_P_IPV6))
		return PARSE_OTHER;
	if (skb->len < ETH_HLEN)
		return malformed(pkt, TCPULSE_ERR_TRUNCATED_IP);
	pkt->l3_len = skb->len - ETH_HLEN;
	if (COPY_HEADERS_ALWAYS())
		return tcpulse_parse_copied(skb, pkt);

	/* IPv4 is laid out as the straight path, IPv6 after it: under load the program's code is out
	 * of the instruction cache at each packet, and a path that jumps over the other family's code
	 * runs on more lines (bulk IPv4: ~10 % less time above the floor, docs/performance.md). IPv6
	 * is as correct, one jump longer. */
	if (likely(skb->protocol == bpf_htons(ETH_P_IP)))
		ret = parse_ipv4(skb, pkt, data + ETH_HLEN, data_end, flags);
	else
		ret = parse_ipv6(skb, pkt, data + ETH_HLEN, data_end, flags);
	if (ret != PARSE_MALFORMED || (pkt->error != TCPULSE_ERR_TRUNCATED_IP &&
				       pkt->error != TCPULSE_ERR_TRUNCATED_TCP))
		return ret;
	/* Past the linear area is not past the packet's end: only when the skb is long enough for
	 * all headers we read, copy them out (rare on a veth). */
	wanted = skb->len < MAX_HEADERS_LEN ? skb->len : MAX_HEADERS_LEN;
	if (data + wanted <= data_end)
		return ret;
	return tcpulse_parse_copied(skb, pkt);
}

/* A pod veth's packets: never padded. */
static __always_inline int parse_packet(struct __sk_buff *skb, struct packet *pkt)
{
	return parse_skb(skb, pkt, 0);
}

/* Fills pkt from an XDP frame (one wire segment, its headers in its first buffer: the programs
 * do not take multi-buffer frames). */
static __always_inline int parse_xdp(struct xdp_md *xdp, struct packet *pkt)
{
	void *data = (void *)(long)xdp->data;
	void *data_end = (void *)(long)xdp->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return PARSE_OTHER;
	pkt->l3_len = (__u32)(data_end - data) - ETH_HLEN;
	if (likely(eth->h_proto == bpf_htons(ETH_P_IP)))
		return parse_ipv4(xdp, pkt, data + ETH_HLEN, data_end, PARSE_F_XDP | PARSE_F_IP_LENGTH);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(xdp, pkt, data + ETH_HLEN, data_end, PARSE_F_XDP | PARSE_F_IP_LENGTH);
	return PARSE_OTHER;
}

#endif /* TCPULSE_PARSE_BPF_H */
