// DatapathMaps: every pinned map of the datapath, as the agent reads them: the pod maps it shares
// with the CNI plugin (tc-bpf/lib/pod_maps.h), the flow table, and the error counters.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "agent/flow_slots.h"
#include "tc-bpf/lib/flow_key.h"
#include "tc-bpf/lib/pod_maps.h"
#include "tcpulse/abi.h"

namespace tcpulse {

inline constexpr std::string_view kFlowTableMap = "tcpulse_flowtab";
inline constexpr std::string_view kFlows4Map = "tcpulse_flows4";
inline constexpr std::string_view kFlows6Map = "tcpulse_flows6";
inline constexpr std::string_view kErrorsMap = "tcpulse_errors";
inline constexpr std::string_view kCgroupsMap = "tcpulse_cgroups";

using Flow4Map = TypedMap<tcpulse_flow4_key, tcpulse_flow_stats>;
using Flow6Map = TypedMap<tcpulse_flow6_key, tcpulse_flow_stats>;
using ErrorMap = PerCpuMap<__u32, __u64>;
// A cgroup id -> its host-network pod's key (host_pods.h).
using CgroupMap = TypedMap<__u64, __u32>;

// When a flow last carried a packet either way (CLOCK_MONOTONIC at tick resolution).
inline uint64_t flow_last_seen_ns(const tcpulse_flow_stats& flow) {
  return std::max({flow.first_seen_ns, flow.egress.events.last_seen_ns,
                   flow.ingress.events.last_seen_ns});
}

// The flow table (tcpulse_flowtab) and the two overflow hashes that take its collisions, read as one.
struct FlowTables {
  FlowSlots slots;
  Flow4Map v4;
  Flow6Map v6;

  // Opens the pinned three; the slot array is mapped at once.
  static Result<FlowTables> open(const PinLayout& layout);
  enum class Table { Slots, Overflow4, Overflow6 };
  // Calls fn for every flow of the three: the slots through their mapping, the hashes in batches.
  // Entries added or removed meanwhile may be missed.
  Result<void> for_each(
      const std::function<void(const FlowKey&, const tcpulse_flow_stats&, Table)>& fn) const;
  Result<void> for_each(const std::function<void(const FlowKey&, const tcpulse_flow_stats&)>& fn) const;
  Result<std::optional<tcpulse_flow_stats>> get(const FlowKey& key) const;
  // Removes the flow (whether it was there). A slot is retired, and freed by free_retired.
  Result<bool> erase(const FlowKey& key, uint64_t now_ns);
  int free_retired(uint64_t now_ns) { return slots.free_retired(now_ns); }
};

struct DatapathMaps {
  FlowTables flows;
  PodMap pods;
  PodAccountMap accounts;
  PodStatsMap pod_stats;
  PodSlotsMap pod_slots;
  ErrorMap errors;
  CgroupMap cgroups;

  // Opens the pinned maps; ENOENT when the agent has not pinned them yet.
  static Result<DatapathMaps> open(const PinLayout& layout);
};

}  // namespace tcpulse
