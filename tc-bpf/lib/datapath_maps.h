// DatapathMaps: the datapath's pinned maps, opened with their ABI types. Used by the CNI plugin
// (pod records) and by the agent (everything).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string_view>

#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/typed_map.h"
#include "tcpulse/abi.h"

namespace tcpulse {

// Map names as declared in tc-bpf/maps.bpf.h; libbpf pins each by its name.
inline constexpr std::string_view kFlows4Map = "tcpulse_flows4";
inline constexpr std::string_view kFlows6Map = "tcpulse_flows6";
inline constexpr std::string_view kPodsMap = "tcpulse_pods";
inline constexpr std::string_view kPodStatsMap = "tcpulse_podstat";
inline constexpr std::string_view kPodSlotsMap = "tcpulse_podslot";
inline constexpr std::string_view kErrorsMap = "tcpulse_errors";

using Flow4Map = TypedMap<tcpulse_flow4_key, tcpulse_flow_stats>;
using Flow6Map = TypedMap<tcpulse_flow6_key, tcpulse_flow_stats>;
using PodMap = TypedMap<__u32, tcpulse_pod_info>;
using PodStatsMap = PerCpuMap<__u32, tcpulse_pod_stats>;
using PodSlotsMap = PerCpuMap<__u32, tcpulse_pod_slot>;
using ErrorMap = PerCpuMap<__u32, __u64>;

// dst += src, field by field (every field of tcpulse_pod_stats is a __u64 counter).
void add_pod_stats(tcpulse_pod_stats& dst, const tcpulse_pod_stats& src);
// The sum of a per-CPU tcpulse_podstat value.
tcpulse_pod_stats sum_pod_stats(const std::vector<tcpulse_pod_stats>& per_cpu);

// When a flow last carried a packet either way (CLOCK_MONOTONIC at tick resolution).
inline uint64_t flow_last_seen_ns(const tcpulse_flow_stats& flow) {
  return std::max({flow.first_seen_ns, flow.dir[TCPULSE_DIR_EGRESS].last_seen_ns,
                   flow.dir[TCPULSE_DIR_INGRESS].last_seen_ns});
}

// A flow's identity whichever table holds it. An IPv4 address uses the first 4 bytes of its array.
struct FlowKey {
  uint32_t ifindex = 0;   // host-side veth
  uint8_t family = 0;     // TCPULSE_AF_INET or TCPULSE_AF_INET6
  uint16_t local_port = 0;  // network byte order, like the map keys
  uint16_t remote_port = 0;
  uint8_t local_addr[16] = {};
  uint8_t remote_addr[16] = {};
};

// The IPv4 and IPv6 flow tables, read as one.
struct FlowTables {
  Flow4Map v4;
  Flow6Map v6;

  // Calls fn for every flow of both tables. Entries added or removed meanwhile may be missed.
  Result<void> for_each(const std::function<void(const FlowKey&, const tcpulse_flow_stats&)>& fn) const;
  Result<std::optional<tcpulse_flow_stats>> get(const FlowKey& key) const;
  Result<bool> erase(const FlowKey& key);  // whether it was there
};

struct DatapathMaps {
  FlowTables flows;
  PodMap pods;
  PodStatsMap pod_stats;
  PodSlotsMap pod_slots;
  ErrorMap errors;

  // Opens the pinned maps; ENOENT when the agent has not pinned them yet.
  static Result<DatapathMaps> open(const PinLayout& layout);
};

}  // namespace tcpulse
