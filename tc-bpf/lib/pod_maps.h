// PodMaps: the pinned maps that hold what one pod is and what user space adds to its counts,
// opened with their ABI types: what the CNI plugin opens at ADD, DEL, CHECK and GC, and what the
// agent's attach path shares with it. The flow table is the agent's (agent/datapath_maps.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tc-bpf/lib/bpffs.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/typed_map.h"
#include "tcpulse/abi.h"

namespace tcpulse {

// Map names as declared in tc-bpf/maps.bpf.h; libbpf pins each by its name.
inline constexpr std::string_view kPodsMap = "tcpulse_pods";
inline constexpr std::string_view kPodAccountsMap = "tcpulse_podacct";
inline constexpr std::string_view kPodStatsMap = "tcpulse_podstat";
inline constexpr std::string_view kPodSlotsMap = "tcpulse_podslot";

using PodMap = TypedMap<__u32, tcpulse_pod_info>;
using PodAccountMap = TypedMap<__u32, tcpulse_pod_account>;
using PodStatsMap = PerCpuMap<__u32, tcpulse_pod_stats>;
using PodSlotsMap = PerCpuMap<__u32, tcpulse_pod_slot>;

// dst += src, field by field (every field of tcpulse_pod_stats is a __u64 counter).
void add_pod_stats(tcpulse_pod_stats& dst, const tcpulse_pod_stats& src);
// The sum of a per-CPU tcpulse_podstat value.
tcpulse_pod_stats sum_pod_stats(const std::vector<tcpulse_pod_stats>& per_cpu);

struct PodMaps {
  PodMap pods;
  PodAccountMap accounts;
  PodStatsMap pod_stats;
  PodSlotsMap pod_slots;

  // Opens the pinned maps; ENOENT when the agent has not pinned them yet.
  static Result<PodMaps> open(const PinLayout& layout);
};

// Opens one pinned map by name with its ABI types.
template <typename Map>
Result<Map> open_pinned_map(const PinLayout& layout, std::string_view name) {
  auto fd = open_pinned(layout.map(name));
  if (!fd) return fd.error();
  return Map::adopt(std::move(fd).value(), std::string(name));
}

}  // namespace tcpulse
