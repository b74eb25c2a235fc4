// NodeSnapshot: one consistent-enough read of the datapath's maps — pods with their traffic, the
// flow table's occupancy, and the datapath error counters. Every flow is read (a pod's TCP traffic
// is its flows'), and handed to the caller as it is read: the collector keeps its own model of
// them, and no copy of the whole table is ever held.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
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
  // The collector keeps a pod whose record is gone for a grace period, with its last totals:
  // CLOCK_MONOTONIC when it was first missed; 0 while it is there.
  uint64_t departed_ns = 0;
};

// Whether a flow counts as an active connection.
bool flow_is_active(const tcpulse_flow_stats& flow);

// How full one of the flow maps is.
struct TableUsage {
  uint64_t entries = 0;
  uint64_t capacity = 0;
};

struct NodeSnapshot {
  std::vector<PodSnapshot> pods;
  std::array<uint64_t, TCPULSE_ERR_COUNT> errors{};
  TableUsage flow_table, overflow4, overflow6;  // tcpulse_flowtab, tcpulse_flows4, tcpulse_flows6
};

// Called for every flow read: pod is the pod it belongs to (flow_is_pods), or nullptr.
using FlowVisitor =
    std::function<void(const FlowKey&, const tcpulse_flow_stats&, const PodSnapshot* pod)>;

// Called once the pods are read, before the first flow.
using PodsVisitor = std::function<void(const std::vector<PodSnapshot>&)>;

// Reads everything, flows last.
Result<NodeSnapshot> read_snapshot(const DatapathMaps& maps, const FlowVisitor& on_flow = {},
                                   const PodsVisitor& on_pods = {});

std::string_view error_reason_name(int reason);

}  // namespace tcpulse::agent
