#include "tc-bpf/lib/datapath_maps.h"

#include <cstring>

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

Result<void> FlowTables::for_each(
    const std::function<void(const FlowKey&, const tcpulse_flow_stats&)>& fn) const {
  auto r = slots.for_each(fn);
  if (!r) return r;
  r = v4.for_each([&](const tcpulse_flow4_key& k, const tcpulse_flow_stats& s) {
    fn(to_flow_key(k), s);
  });
  if (!r) return r;
  return v6.for_each([&](const tcpulse_flow6_key& k, const tcpulse_flow_stats& s) {
    fn(to_flow_key(k), s);
  });
}

Result<std::optional<tcpulse_flow_stats>> FlowTables::get(const FlowKey& key) const {
  if (auto in_slot = slots.get(key)) return in_slot;
  if (key.family == TCPULSE_AF_INET) return v4.get(to_flow4_key(key));
  return v6.get(to_flow6_key(key));
}

Result<bool> FlowTables::erase(const FlowKey& key, uint64_t now_ns) {
  if (slots.retire(key, now_ns)) return true;
  if (key.family == TCPULSE_AF_INET) return v4.erase(to_flow4_key(key));
  return v6.erase(to_flow6_key(key));
}

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
  auto flowtab = open_pinned(layout.map(kFlowTableMap));
  if (!flowtab) return flowtab.error();
  auto slots = FlowSlots::adopt(std::move(flowtab).value(), std::string(kFlowTableMap));
  if (!slots) return slots.error();
  auto flows4 = open_map<Flow4Map>(layout, kFlows4Map);
  if (!flows4) return flows4.error();
  auto flows6 = open_map<Flow6Map>(layout, kFlows6Map);
  if (!flows6) return flows6.error();
  auto pods = open_map<PodMap>(layout, kPodsMap);
  if (!pods) return pods.error();
  auto accounts = open_map<PodAccountMap>(layout, kPodAccountsMap);
  if (!accounts) return accounts.error();
  auto traffic = open_map<PodStatsMap>(layout, kPodStatsMap);
  if (!traffic) return traffic.error();
  auto pod_slots = open_map<PodSlotsMap>(layout, kPodSlotsMap);
  if (!pod_slots) return pod_slots.error();
  auto errors = open_map<ErrorMap>(layout, kErrorsMap);
  if (!errors) return errors.error();
  return DatapathMaps{FlowTables{std::move(slots).value(), std::move(flows4).value(),
                                 std::move(flows6).value()},
                      std::move(pods).value(), std::move(accounts).value(),
                      std::move(traffic).value(),
                      std::move(pod_slots).value(), std::move(errors).value()};
}

}  // namespace tcpulse
