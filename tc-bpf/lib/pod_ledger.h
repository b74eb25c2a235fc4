// The pod ledger: the one home of a pod's counter arithmetic. The datapath counts every packet
// (in its flow, or in the pod's per-CPU slot when it has none) and every event (tcpulse_podstat);
// user space adds an account per pod (tcpulse_pod_account) so that a pod's counters start at zero
// on a reused ifindex and never go back when its flows expire. Pure functions over plain values:
//   open_pod_account    at ADD (the CNI plugin, or the agent attaching a queued or adopted pod)
//   fold_expired_flow   when the agent removes an expired flow (its counts stay with the pod)
//   pod_totals          what the agent exports: events + slot since the account opened
//                       + what expired flows left + the pod's live flows
// One writer per field: the datapath writes what packets count, the ledger everything else.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "tcpulse/abi.h"

namespace tcpulse {

using SlotTraffic = std::array<tcpulse_traffic, TCPULSE_DIR_COUNT>;

// The index of a pod's slot in tcpulse_podslot, as the datapath computes it.
inline __u32 pod_slot_index(uint32_t ifindex) { return ifindex % TCPULSE_POD_SLOTS; }

// CLOCK_MONOTONIC_COARSE: the clock of a flow's first_seen_ns (bpf_ktime_get_coarse_ns).
uint64_t coarse_monotonic_ns();

// What the copies of one slot that ifindex owns have counted, summed over CPUs.
SlotTraffic owned_slot_traffic(const std::vector<tcpulse_pod_slot>& per_cpu, uint32_t ifindex);

// The account a pod gets at ADD. A repeated ADD of the same attachment keeps its account (its
// counters continue). A new owner of the ifindex starts from zero: its slot's copies cannot be
// reset without racing other pods' packets on them, so what they hold now becomes its base, and
// flows seen before now are a former pod's.
tcpulse_pod_account open_pod_account(const std::optional<tcpulse_pod_account>& existing,
                                     bool same_attachment, const SlotTraffic& slot_now,
                                     uint64_t now_coarse_ns);

// Whether a flow on the pod's ifindex is the pod's own. A flow whose first_seen_ns is not yet
// written (its slot claimed this instant) is not, until it is.
inline bool flow_is_pods(const tcpulse_flow_stats& flow, const tcpulse_pod_account& account) {
  return flow.first_seen_ns != 0 && flow.first_seen_ns >= account.attached_ns;
}

// The pod a flow counts under: its key's ifindex (a veth pod's), or for a host socket's flow on an
// uplink (TCPULSE_HOST_FLOWS) the host-network pod its socket's cgroup names: 0 until its first
// packet sent names it, TCPULSE_HOST_FLOWS if it is nobody's.
inline uint32_t flow_owner(uint32_t key_ifindex, const tcpulse_flow_stats& flow) {
  return key_ifindex == TCPULSE_HOST_FLOWS ? flow.pod_key : key_ifindex;
}

// Keeps an expired flow's packets and bytes with its pod, before the flow is removed.
void fold_expired_flow(tcpulse_pod_account& account, const tcpulse_flow_stats& flow);

// A pod's totals without its live flows: its events (tcpulse_podstat summed over CPUs), its slot's
// traffic since the account opened, and what its expired flows left. Add each live flow of the
// pod (flow_is_pods) with add_live_flow.
tcpulse_pod_stats pod_totals(const tcpulse_pod_account& account, const tcpulse_pod_stats& events,
                             const SlotTraffic& slot_owned);
void add_live_flow(tcpulse_pod_stats& totals, const tcpulse_flow_stats& flow);

}  // namespace tcpulse
