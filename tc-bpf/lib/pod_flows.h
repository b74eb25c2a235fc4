// A pod's TCP traffic. The datapath counts a TCP packet in its flow only (see tcpulse_flow_slot in
// abi.h), so a pod's TCP packets and bytes are its flows' plus what its removed flows carried (its
// record's flow_base). A flow on the pod's ifindex first seen before the record's attached_ns is a
// former pod's: the bridge plugin gives a new pod's veth the index of one just deleted.
#pragma once

#include <cstdint>

#include "tcpulse/abi.h"

namespace tcpulse {

// CLOCK_MONOTONIC_COARSE: the clock of a flow's first_seen_ns (bpf_ktime_get_coarse_ns).
uint64_t coarse_monotonic_ns();

// Whether a flow on the pod's ifindex is the pod's own. A flow whose first_seen_ns is not yet
// written (its slot claimed this instant) is not, until it is.
inline bool flow_is_pods(const tcpulse_flow_stats& flow, const tcpulse_pod_info& pod) {
  return flow.first_seen_ns != 0 && flow.first_seen_ns >= pod.attached_ns;
}

// traffic += the flow's packets and bytes, direction by direction.
void add_flow_traffic(tcpulse_traffic (&traffic)[TCPULSE_DIR_COUNT], const tcpulse_flow_stats& flow);

// totals' packets and bytes += traffic.
void add_traffic(tcpulse_pod_stats& totals, const tcpulse_traffic (&traffic)[TCPULSE_DIR_COUNT]);

}  // namespace tcpulse
