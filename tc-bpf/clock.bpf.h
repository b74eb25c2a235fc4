/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The datapath's clock. The test build of the object defines TCPULSE_MOCK_CLOCK so that tests set
 * the time through a global instead of depending on when BPF_PROG_TEST_RUN happens to run. */
#ifndef TCPULSE_CLOCK_BPF_H
#define TCPULSE_CLOCK_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* tcpulse_now_ns(): precise, for the events RTT, handshake and gap timing are made of.
 * tcpulse_coarse_now_ns(): the same clock at tick resolution and a fraction of the cost, for what
 * every packet stamps (first/last seen). */
#ifdef TCPULSE_MOCK_CLOCK
__u64 tcpulse_mock_now_ns = 0;

static __always_inline __u64 tcpulse_now_ns(void)
{
	return tcpulse_mock_now_ns;
}

static __always_inline __u64 tcpulse_coarse_now_ns(void)
{
	return tcpulse_mock_now_ns;
}
#else
static __always_inline __u64 tcpulse_now_ns(void)
{
	return bpf_ktime_get_ns();
}

static __always_inline __u64 tcpulse_coarse_now_ns(void)
{
	return bpf_ktime_get_coarse_ns();
}
#endif

#endif /* TCPULSE_CLOCK_BPF_H */
