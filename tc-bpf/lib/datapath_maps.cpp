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

template <typename MapKey>
FlowKey to_flow_key(const MapKey& k, uint8_t family) {
  FlowKey key;
  key.ifindex = k.ifindex;
  key.family = family;
  key.local_port = k.local_port;
  key.remote_port = k.remote_port;
  memcpy(key.local_addr, k.local_addr, sizeof(k.local_addr));
  memcpy(key.remote_addr, k.remote_addr, sizeof(k.remote_addr));
  return key;
}

template <typename MapKey>
MapKey to_map_key(const FlowKey& key) {
  MapKey k{};
  k.ifindex = key.ifindex;
  k.local_port = key.local_port;
  k.remote_port = key.remote_port;
  memcpy(k.local_addr, key.local_addr, sizeof(k.local_addr));
  memcpy(k.remote_addr, key.remote_addr, sizeof(k.remote_addr));
  return k;
}

}  // namespace

Result<void> FlowTables::for_each(
    const std::function<void(const FlowKey&, const tcpulse_flow_stats&)>& fn) const {
  auto r = v4.for_each([&](const tcpulse_flow4_key& k, const tcpulse_flow_stats& s) {
    fn(to_flow_key(k, TCPULSE_AF_INET), s);
  });
  if (!r) return r;
  return v6.for_each([&](const tcpulse_flow6_key& k, const tcpulse_flow_stats& s) {
    fn(to_flow_key(k, TCPULSE_AF_INET6), s);
  });
}

Result<std::optional<tcpulse_flow_stats>> FlowTables::get(const FlowKey& key) const {
  if (key.family == TCPULSE_AF_INET) return v4.get(to_map_key<tcpulse_flow4_key>(key));
  return v6.get(to_map_key<tcpulse_flow6_key>(key));
}

Result<bool> FlowTables::erase(const FlowKey& key) {
  if (key.family == TCPULSE_AF_INET) return v4.erase(to_map_key<tcpulse_flow4_key>(key));
  return v6.erase(to_map_key<tcpulse_flow6_key>(key));
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
  auto flows4 = open_map<Flow4Map>(layout, kFlows4Map);
  if (!flows4) return flows4.error();
  auto flows6 = open_map<Flow6Map>(layout, kFlows6Map);
  if (!flows6) return flows6.error();
  auto pods = open_map<PodMap>(layout, kPodsMap);
  if (!pods) return pods.error();
  auto traffic = open_map<PodStatsMap>(layout, kPodStatsMap);
  if (!traffic) return traffic.error();
  auto slots = open_map<PodSlotsMap>(layout, kPodSlotsMap);
  if (!slots) return slots.error();
  auto errors = open_map<ErrorMap>(layout, kErrorsMap);
  if (!errors) return errors.error();
  return DatapathMaps{FlowTables{std::move(flows4).value(), std::move(flows6).value()},
                      std::move(pods).value(), std::move(traffic).value(),
                      std::move(slots).value(), std::move(errors).value()};
}

}  // namespace tcpulse
