// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * tcpulse datapath. On a pod's host-side veth:
 *   tc ingress on the host veth = what the pod sends    -> TCPULSE_DIR_EGRESS
 *   tc egress on the host veth  = what the pod receives -> TCPULSE_DIR_INGRESS
 *   XDP on the host veth (attachMode xdp) in place of tc ingress: what the pod sends
 * On an uplink, for host-network pods (host_flow.bpf.h):
 *   tc egress = what host sockets send; tc ingress or XDP = what they receive
 * Every program only observes: tc programs return TC_ACT_UNSPEC (== TCX_NEXT), so whatever the
 * primary CNI attached after us still runs; XDP programs return XDP_PASS. The packet's fate is
 * unchanged.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "flow.bpf.h"
#include "host_flow.bpf.h"

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

SEC("xdp")
int tcpulse_xdp_pod(struct xdp_md *xdp)
{
	handle_pod_frame(xdp, TCPULSE_DIR_EGRESS);
	return XDP_PASS;
}

SEC("tc")
int tcpulse_host_egress(struct __sk_buff *skb)
{
	handle_host_sent(skb);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int tcpulse_host_ingress(struct __sk_buff *skb)
{
	handle_host_received(skb);
	return TC_ACT_UNSPEC;
}

SEC("xdp")
int tcpulse_host_xdp(struct xdp_md *xdp)
{
	handle_host_frame(xdp);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
