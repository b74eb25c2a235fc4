// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The benchmark's floor: a TC program that only returns. bpf_stats charges every program run a
 * fixed cost of its own (~70 ns here); running this on the same packets as tcpulse, in the same
 * run, lets hack/bench-datapath.sh report tcpulse's cost above that floor. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int bench_empty(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
