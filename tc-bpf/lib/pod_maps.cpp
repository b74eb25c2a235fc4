#include "tc-bpf/lib/pod_maps.h"

namespace tcpulse {

void add_pod_stats(tcpulse_pod_stats& dst, const tcpulse_pod_stats& src) {
  static_assert(sizeof(tcpulse_pod_stats) % sizeof(__u64) == 0);
  auto* d = reinterpret_cast<__u64*>(&dst);
  const auto* s = reinterpret_cast<const __u64*>(&src);
  for (size_t i = 0; i < sizeof(tcpulse_pod_stats) / sizeof(__u64); i++) d[i] += s[i];
}

tcpulse_pod_stats sum_pod_stats(const std::vector<tcpulse_pod_stats>& per_cpu) {
  tcpulse_pod_stats sum{};
  for (const auto& s : per_cpu) add_pod_stats(sum, s);
  return sum;
}

Result<PodMaps> PodMaps::open(const PinLayout& layout) {
  auto pods = open_pinned_map<PodMap>(layout, kPodsMap);
  if (!pods) return pods.error();
  auto accounts = open_pinned_map<PodAccountMap>(layout, kPodAccountsMap);
  if (!accounts) return accounts.error();
  auto stats = open_pinned_map<PodStatsMap>(layout, kPodStatsMap);
  if (!stats) return stats.error();
  auto slots = open_pinned_map<PodSlotsMap>(layout, kPodSlotsMap);
  if (!slots) return slots.error();
  return PodMaps{std::move(pods).value(), std::move(accounts).value(), std::move(stats).value(),
                 std::move(slots).value()};
}

}  // namespace tcpulse
