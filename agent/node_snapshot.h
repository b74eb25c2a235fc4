// NodeSnapshot: one consistent-enough read of the datapath's maps — pods with their traffic, the
// flows, and the datapath error counters — for the exporters to render.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "agent/datapath_maps.h"
#include "tc-bpf/lib/pod_record.h"
#include "tc-bpf/lib/result.h"

namespace tcpulse::agent {

struct PodSnapshot {
  uint32_t ifindex = 0;
  PodRecord record;
  tcpulse_pod_account account{};  // what the ledger adds (pod_ledger.h)
  tcpulse_pod_stats stats{};      // the pod's totals (pod_totals and its live flows)
  uint64_t active_connections = 0;  // flows of this pod open now
};

// Whether a flow counts as an active connection.
bool flow_is_active(const tcpulse_flow_stats& flow);

struct FlowSnapshot {
  FlowKey key{};
  tcpulse_flow_stats stats{};
};

struct NodeSnapshot {
  std::vector<PodSnapshot> pods;
  std::vector<FlowSnapshot> flows;
  std::array<uint64_t, TCPULSE_ERR_COUNT> errors{};
};

// Reads everything. Every flow is read (a pod's TCP traffic is its flows'); snap.flows keeps them
// only if with_flows.
Result<NodeSnapshot> read_snapshot(const DatapathMaps& maps, bool with_flows);

std::string_view error_reason_name(int reason);

}  // namespace tcpulse::agent
