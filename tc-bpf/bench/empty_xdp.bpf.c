// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The XDP floor of hack/bench-datapath.sh --xdp: an XDP program that only passes, for bpf_stats'
 * own cost per run of an XDP program (and what XDP on an interface costs by being there). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
