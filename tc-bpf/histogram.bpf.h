/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The RTT histogram's bucket for a sample, without loops: bucket i holds samples <= 25 us * 2^i. */
#ifndef TCPULSE_HISTOGRAM_BPF_H
#define TCPULSE_HISTOGRAM_BPF_H

#include <linux/types.h>
#include "tcpulse/abi.h"

/* Number of significant bits in v (0 for 0), by binary search. */
static __always_inline __u32 bit_length(__u64 v)
{
	__u32 n = 0;

	if (v >> 32) { n += 32; v >>= 32; }
	if (v >> 16) { n += 16; v >>= 16; }
	if (v >> 8) { n += 8; v >>= 8; }
	if (v >> 4) { n += 4; v >>= 4; }
	if (v >> 2) { n += 2; v >>= 2; }
	if (v >> 1) { n += 1; v >>= 1; }
	return n + (__u32)v;
}

static __always_inline __u32 rtt_bucket(__u64 rtt_ns)
{
	/* ceil(rtt / 25 us) = u; the bucket is ceil(log2(u)) = bit_length(u - 1). */
	__u64 units = (rtt_ns + TCPULSE_RTT_BUCKET0_NS - 1) / TCPULSE_RTT_BUCKET0_NS;
	__u32 bucket = units ? bit_length(units - 1) : 0;

	/* Written so the verifier sees the bound on the array index. */
	if (bucket >= TCPULSE_RTT_BUCKETS)
		bucket = TCPULSE_RTT_BUCKETS - 1;
	return bucket;
}

#endif /* TCPULSE_HISTOGRAM_BPF_H */
