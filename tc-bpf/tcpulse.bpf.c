// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcpulse datapath: attached to a pod's host-side veth.
 *   tc ingress on the host veth = what the pod sends    -> TCPULSE_DIR_EGRESS
 *   tc egress on the host veth  = what the pod receives -> TCPULSE_DIR_INGRESS
 * Both programs only observe: they always return TC_ACT_UNSPEC (== TCX_NEXT), so whatever the
 * primary CNI attached after us still runs and the packet's fate is unchanged.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "flow.bpf.h"

SEC("tc")
int tcpulse_ingress(struct __sk_buff *skb)
{
	handle_packet(skb, TCPULSE_DIR_EGRESS);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tcpulse_egress(struct __sk_buff *skb)
{
	handle_packet(skb, TCPULSE_DIR_INGRESS);
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
