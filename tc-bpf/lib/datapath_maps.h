// DatapathMaps: the datapath's pinned maps, opened with their ABI types. Used by the CNI plugin
// (pod records) and by the agent (everything).
#pragma once

#include <string_view>

#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/typed_map.h"
#include "tcpulse/abi.h"

namespace tcpulse {

// Map names as declared in tc-bpf/maps.bpf.h; libbpf pins each by its name.
inline constexpr std::string_view kFlowsMap = "tcpulse_flows";
inline constexpr std::string_view kPodsMap = "tcpulse_pods";
inline constexpr std::string_view kPodStatsMap = "tcpulse_podstat";
inline constexpr std::string_view kErrorsMap = "tcpulse_errors";

using FlowMap = TypedMap<tcpulse_flow_key, tcpulse_flow_stats>;
using PodMap = TypedMap<__u32, tcpulse_pod_info>;
using PodStatsMap = PerCpuMap<__u32, tcpulse_pod_stats>;
using ErrorMap = PerCpuMap<__u32, __u64>;

// dst += src, field by field (every field of tcpulse_pod_stats is a __u64 counter).
void add_pod_stats(tcpulse_pod_stats& dst, const tcpulse_pod_stats& src);
// The sum of a per-CPU tcpulse_podstat value.
tcpulse_pod_stats sum_pod_stats(const std::vector<tcpulse_pod_stats>& per_cpu);

struct DatapathMaps {
  FlowMap flows;
  PodMap pods;
  PodStatsMap pod_stats;
  ErrorMap errors;

  // Opens the pinned maps; ENOENT when the agent has not pinned them yet.
  static Result<DatapathMaps> open(const PinLayout& layout);
};

}  // namespace tcpulse
