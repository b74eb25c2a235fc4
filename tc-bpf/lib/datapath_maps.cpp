#include "tc-bpf/lib/datapath_maps.h"

#include "tc-bpf/lib/bpffs.h"

namespace tcpulse {

namespace {

template <typename Map>
Result<Map> open_map(const PinLayout& layout, std::string_view name) {
  auto fd = open_pinned(layout.map(name));
  if (!fd) return fd.error();
  return Map::adopt(std::move(fd).value(), std::string(name));
}

}  // namespace

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

Result<DatapathMaps> DatapathMaps::open(const PinLayout& layout) {
  auto flows = open_map<FlowMap>(layout, kFlowsMap);
  if (!flows) return flows.error();
  auto pods = open_map<PodMap>(layout, kPodsMap);
  if (!pods) return pods.error();
  auto traffic = open_map<PodStatsMap>(layout, kPodStatsMap);
  if (!traffic) return traffic.error();
  auto errors = open_map<ErrorMap>(layout, kErrorsMap);
  if (!errors) return errors.error();
  return DatapathMaps{std::move(flows).value(), std::move(pods).value(),
                      std::move(traffic).value(), std::move(errors).value()};
}

}  // namespace tcpulse
