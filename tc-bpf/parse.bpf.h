/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Header parsing for packets seen on a pod's host veth (always Ethernet framed). */
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

#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
/* Ethernet + the largest IPv4 header + the largest TCP header: all we ever read. */
#define MAX_HEADERS_LEN (ETH_HLEN + 60 + 60)

enum parse_result {
	PARSE_TCP = 0,   /* IP + a whole TCP header: a flow */
	PARSE_IP = 1,    /* IP, but not TCP (or a non-first fragment): pod traffic only */
	PARSE_OTHER = 2, /* not IP (ARP, ...): ignored */
	/* negative values are -enum tcpulse_error */
};

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_WINDOW 3
#define TCPOPT_TIMESTAMP 8
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

/* Everything the datapath uses from a packet, copied out of it: after a bpf_skb_pull_data any
 * pointer into the packet is invalid, so none is kept. */
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
	__u8 pad;
	struct tcp_opts opts;
};

/* Walks the TCP options at [off, off + len) of the packet for timestamps and window scale.
 *
 * A global (not inlined) function on purpose: the verifier checks it once, on its own, and the
 * caller sees only its result in *out. Inlined, the unrolled walk multiplied the verifier's states
 * through everything after it (669k instructions processed per program instead of ~2k). */
__noinline int tcpulse_tcp_options(struct __sk_buff *skb, __u32 off, __u32 len,
				   struct tcp_opts *out)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u32 pos = 0;

	if (!out || off > MAX_HEADERS_LEN || len > 40)
		return 0;
	for (int i = 0; i < MAX_TCP_OPTIONS; i++) {
		__u8 *p;
		__u8 kind, olen;

		if (pos >= len)
			return 0;
		/* off + pos < 134 + 40 < 256: the mask changes nothing but gives the verifier a bound
		 * it keeps on the packet pointer (a comparison alone was lost in clang's codegen). */
		p = data + ((off + pos) & 0xff);
		if ((void *)(p + 1) > data_end)
			return 0;
		kind = p[0];
		if (kind == TCPOPT_EOL)
			return 0;
		if (kind == TCPOPT_NOP) {
			pos++;
			continue;
		}
		if (pos + 2 > len || (void *)(p + 2) > data_end) {
			out->bad = 1;
			return 0;
		}
		olen = p[1];
		if (olen < 2 || pos + olen > len) {
			out->bad = 1;
			return 0;
		}
		if (kind == TCPOPT_TIMESTAMP && olen == 10 && (void *)(p + 10) <= data_end) {
			out->tsval = bpf_ntohl(*(__u32 *)(p + 2));
			out->tsecr = bpf_ntohl(*(__u32 *)(p + 6));
			out->has_ts = 1;
		} else if (kind == TCPOPT_WINDOW && olen == 3 && (void *)(p + 3) <= data_end) {
			out->wscale = p[2];
			out->has_ws = 1;
		}
		pos += olen;
	}
	return 0;
}

static __always_inline int parse_tcp(struct __sk_buff *skb, struct packet *pkt, void *l4,
				     void *data_end)
{
	struct tcphdr *th = l4;
	__u32 doff;

	if ((void *)(th + 1) > data_end)
		return -TCPULSE_ERR_TRUNCATED_TCP;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || pkt->headers_len + doff > pkt->l3_len)
		return -TCPULSE_ERR_TRUNCATED_TCP;
	pkt->headers_len += doff;
	pkt->sport = th->source;
	pkt->dport = th->dest;
	pkt->seq = bpf_ntohl(th->seq);
	pkt->ack = bpf_ntohl(th->ack_seq);
	pkt->window = bpf_ntohs(th->window);
	pkt->flags = ((__u8 *)th)[13];
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
	if (doff > sizeof(*th))
		tcpulse_tcp_options(skb, (__u32)((void *)(th + 1) - (void *)(long)skb->data),
				    doff - sizeof(*th), &pkt->opts);
	return PARSE_TCP;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb, struct packet *pkt, void *l3,
				      void *data_end)
{
	struct iphdr *iph = l3;
	__u32 hlen;

	if ((void *)(iph + 1) > data_end)
		return -TCPULSE_ERR_TRUNCATED_IP;
	hlen = iph->ihl * 4;
	if (iph->version != 4 || hlen < sizeof(*iph) || hlen > pkt->l3_len)
		return -TCPULSE_ERR_BAD_IP_HEADER;
	pkt->family = TCPULSE_AF_INET;
	pkt->protocol = iph->protocol;
	pkt->headers_len = hlen;
	__builtin_memcpy(pkt->saddr, &iph->saddr, 4);
	__builtin_memcpy(pkt->daddr, &iph->daddr, 4);
	/* Only the first fragment carries the TCP header. */
	if (iph->protocol != IPPROTO_TCP || (iph->frag_off & bpf_htons(IP_OFFSET)))
		return PARSE_IP;
	return parse_tcp(skb, pkt, l3 + hlen, data_end);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb, struct packet *pkt, void *l3,
				      void *data_end)
{
	struct ipv6hdr *ip6h = l3;

	if ((void *)(ip6h + 1) > data_end)
		return -TCPULSE_ERR_TRUNCATED_IP;
	if (ip6h->version != 6 || sizeof(*ip6h) > pkt->l3_len)
		return -TCPULSE_ERR_BAD_IP_HEADER;
	pkt->family = TCPULSE_AF_INET6;
	pkt->protocol = ip6h->nexthdr;
	pkt->headers_len = sizeof(*ip6h);
	__builtin_memcpy(pkt->saddr, &ip6h->saddr, 16);
	__builtin_memcpy(pkt->daddr, &ip6h->daddr, 16);
	/* TCP behind extension headers is rare for pod traffic; counted as IP traffic only. */
	if (ip6h->nexthdr != IPPROTO_TCP)
		return PARSE_IP;
	return parse_tcp(skb, pkt, l3 + sizeof(*ip6h), data_end);
}

static __always_inline int parse_linear(struct __sk_buff *skb, struct packet *pkt)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	if (skb->protocol == bpf_htons(ETH_P_IP))
		return parse_ipv4(skb, pkt, data + ETH_HLEN, data_end);
	return parse_ipv6(skb, pkt, data + ETH_HLEN, data_end);
}

/* Fills pkt from skb. Returns enum parse_result, or -enum tcpulse_error for a malformed packet. */
static __always_inline int parse_packet(struct __sk_buff *skb, struct packet *pkt)
{
	__u32 linear, wanted;
	int ret;

	if (skb->protocol != bpf_htons(ETH_P_IP) && skb->protocol != bpf_htons(ETH_P_IPV6))
		return PARSE_OTHER;
	if (skb->len < ETH_HLEN)
		return -TCPULSE_ERR_TRUNCATED_IP;
	pkt->l3_len = skb->len - ETH_HLEN;

	ret = parse_linear(skb, pkt);
	if (ret != -TCPULSE_ERR_TRUNCATED_IP && ret != -TCPULSE_ERR_TRUNCATED_TCP)
		return ret;
	/* The headers may lie past the linear area (rare on a veth) rather than past the packet's
	 * end. Only then pull them in: a pull can copy, so never on the common path. */
	linear = skb->data_end - skb->data;
	wanted = skb->len < MAX_HEADERS_LEN ? skb->len : MAX_HEADERS_LEN;
	if (linear >= wanted)
		return ret;
	bpf_skb_pull_data(skb, wanted);
	return parse_linear(skb, pkt);
}

#endif /* TCPULSE_PARSE_BPF_H */
