#include "agent/node_snapshot.h"

#include <map>

namespace tcpulse::agent {

std::string_view error_reason_name(int reason) {
  switch (reason) {
    case TCPULSE_ERR_TRUNCATED_IP: return "truncated_ip";
    case TCPULSE_ERR_BAD_IP_HEADER: return "bad_ip_header";
    case TCPULSE_ERR_TRUNCATED_TCP: return "truncated_tcp";
    case TCPULSE_ERR_FLOW_INSERT: return "flow_insert_failed";
    case TCPULSE_ERR_POD_MAP_FULL: return "pod_map_full";
  }
  return "unknown";
}

Result<NodeSnapshot> read_snapshot(const DatapathMaps& maps, bool with_flows) {
  NodeSnapshot snap;
  std::map<uint32_t, tcpulse_pod_traffic> traffic;
  auto r = maps.pod_traffic.for_each(
      [&](const __u32& ifindex, const std::vector<tcpulse_pod_traffic>& per_cpu) {
        tcpulse_pod_traffic sum{};
        for (const auto& t : per_cpu)
          for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
            sum.packets[d] += t.packets[d];
            sum.bytes[d] += t.bytes[d];
          }
        traffic[ifindex] = sum;
      });
  if (!r) return r.error();

  r = maps.pods.for_each([&](const __u32& ifindex, const tcpulse_pod_info& info) {
    PodSnapshot pod;
    pod.ifindex = ifindex;
    pod.record = PodRecord::from_abi(info);
    if (auto it = traffic.find(ifindex); it != traffic.end()) pod.traffic = it->second;
    snap.pods.push_back(std::move(pod));
  });
  if (!r) return r.error();

  for (int reason = 0; reason < TCPULSE_ERR_COUNT; reason++) {
    auto per_cpu = maps.errors.get(static_cast<__u32>(reason));
    if (!per_cpu) return per_cpu.error();
    if (per_cpu.value())
      for (uint64_t v : *per_cpu.value()) snap.errors[reason] += v;
  }

  if (with_flows) {
    r = maps.flows.for_each([&](const tcpulse_flow_key& key, const tcpulse_flow_stats& stats) {
      snap.flows.push_back({key, stats});
    });
    if (!r) return r.error();
  }
  return snap;
}

}  // namespace tcpulse::agent
