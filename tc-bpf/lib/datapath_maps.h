// DatapathMaps: the datapath's pinned maps, opened with their ABI types. Used by the CNI plugin
// (pod records) and by the agent (everything).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string_view>

#include "tc-bpf/lib/flow_key.h"
#include "tc-bpf/lib/flow_slots.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/typed_map.h"
#include "tcpulse/abi.h"

namespace tcpulse {

// Map names as declared in tc-bpf/maps.bpf.h; libbpf pins each by its name.
inline constexpr std::string_view kFlowTableMap = "tcpulse_flowtab";
inline constexpr std::string_view kFlows4Map = "tcpulse_flows4";
inline constexpr std::string_view kFlows6Map = "tcpulse_flows6";
inline constexpr std::string_view kPodsMap = "tcpulse_pods";
inline constexpr std::string_view kPodAccountsMap = "tcpulse_podacct";
inline constexpr std::string_view kPodStatsMap = "tcpulse_podstat";
inline constexpr std::string_view kPodSlotsMap = "tcpulse_podslot";
inline constexpr std::string_view kErrorsMap = "tcpulse_errors";

using Flow4Map = TypedMap<tcpulse_flow4_key, tcpulse_flow_stats>;
using Flow6Map = TypedMap<tcpulse_flow6_key, tcpulse_flow_stats>;
using PodMap = TypedMap<__u32, tcpulse_pod_info>;
using PodAccountMap = TypedMap<__u32, tcpulse_pod_account>;
using PodStatsMap = PerCpuMap<__u32, tcpulse_pod_stats>;
using PodSlotsMap = PerCpuMap<__u32, tcpulse_pod_slot>;
using ErrorMap = PerCpuMap<__u32, __u64>;

// dst += src, field by field (every field of tcpulse_pod_stats is a __u64 counter).
void add_pod_stats(tcpulse_pod_stats& dst, const tcpulse_pod_stats& src);
// The sum of a per-CPU tcpulse_podstat value.
tcpulse_pod_stats sum_pod_stats(const std::vector<tcpulse_pod_stats>& per_cpu);

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

  // Calls fn for every flow of the three. Entries added or removed meanwhile may be missed.
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

  // Opens the pinned maps; ENOENT when the agent has not pinned them yet.
  static Result<DatapathMaps> open(const PinLayout& layout);
};

}  // namespace tcpulse
