#include "agent/json_views.h"

#include <arpa/inet.h>

#include <map>

namespace tcpulse::agent {

namespace {

std::string address_text(uint8_t family, const uint8_t* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == TCPULSE_AF_INET6 ? AF_INET6 : AF_INET, addr, text, sizeof(text));
  return text;
}

nlohmann::json per_direction(const __u64 (&values)[TCPULSE_DIR_COUNT]) {
  return {{"egress", values[TCPULSE_DIR_EGRESS]}, {"ingress", values[TCPULSE_DIR_INGRESS]}};
}

}  // namespace

nlohmann::json pods_json(const NodeSnapshot& snap) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& pod : snap.pods) {
    const auto& r = pod.record;
    out.push_back({{"namespace", r.pod_namespace},
                   {"pod", r.pod_name},
                   {"pod_uid", r.pod_uid},
                   {"container_id", r.container_id},
                   {"interface", r.ifname},
                   {"network", r.network},
                   {"host_ifindex", pod.ifindex},
                   {"netns_ino", r.netns_ino},
                   {"ips", r.ips},
                   {"packets", per_direction(pod.traffic.packets)},
                   {"bytes", per_direction(pod.traffic.bytes)}});
  }
  return out;
}

nlohmann::json flows_json(const NodeSnapshot& snap) {
  std::map<uint32_t, const PodRecord*> by_ifindex;
  for (const auto& pod : snap.pods) by_ifindex[pod.ifindex] = &pod.record;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& flow : snap.flows) {
    const auto& k = flow.key;
    const auto& s = flow.stats;
    auto pod = by_ifindex.find(k.ifindex);
    out.push_back({{"namespace", pod == by_ifindex.end() ? std::string() : pod->second->pod_namespace},
                   {"pod", pod == by_ifindex.end() ? std::string() : pod->second->pod_name},
                   {"host_ifindex", k.ifindex},
                   {"local", address_text(k.family, k.local_addr)},
                   {"local_port", ntohs(k.local_port)},
                   {"remote", address_text(k.family, k.remote_addr)},
                   {"remote_port", ntohs(k.remote_port)},
                   {"packets", per_direction(s.packets)},
                   {"bytes", per_direction(s.bytes)},
                   {"payload_bytes", per_direction(s.payload_bytes)},
                   {"first_seen_ns", s.first_seen_ns},
                   {"last_seen_ns", s.last_seen_ns}});
  }
  return out;
}

}  // namespace tcpulse::agent
