#include "agent/json_views.h"

#include <arpa/inet.h>

#include <map>

#include "tc-bpf/lib/pod_ledger.h"

namespace tcpulse::agent {

namespace {

std::string address_text(uint8_t family, const uint8_t* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(family == TCPULSE_AF_INET6 ? AF_INET6 : AF_INET, addr, text, sizeof(text));
  return text;
}

nlohmann::json direction_json(const tcpulse_flow_dir& d) {
  const tcpulse_flow_events& ev = d.events;
  nlohmann::json out = {{"packets", d.packets},
                        {"bytes", d.bytes},
                        {"payload_bytes", tcpulse_flow_payload_bytes(&d)},
                        {"retransmitted_segments", ev.retrans_segs},
                        {"retransmitted_bytes", ev.retrans_bytes},
                        {"resets", ev.rsts},
                        {"zero_window_segments", ev.zero_windows},
                        {"syns", ev.syns},
                        {"fin", (d.flags & TCPULSE_DIRF_FIN) != 0}};
  if (d.flags & TCPULSE_DIRF_WSCALE) out["window_scale"] = d.wscale;
  return out;
}

nlohmann::json pod_direction_json(const tcpulse_pod_dir& d) {
  return {{"packets", d.packets}, {"bytes", d.bytes}, {"retransmitted_segments", d.retrans_segs},
          {"resets", d.rsts}, {"zero_window_segments", d.zero_windows}};
}

const char* state_name(uint8_t state) {
  switch (state) {
    case TCPULSE_CONN_MIDSTREAM: return "midstream";
    case TCPULSE_CONN_SYN: return "syn";
    case TCPULSE_CONN_ESTABLISHED: return "established";
    case TCPULSE_CONN_CLOSED: return "closed";
  }
  return "unknown";
}

}  // namespace

nlohmann::json pods_json(const NodeSnapshot& snap) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& pod : snap.pods) {
    const auto& r = pod.record;
    nlohmann::json entry = r.to_json();
    entry["host_ifindex"] = pod.ifindex;
    entry["egress"] = pod_direction_json(pod.stats.dir[TCPULSE_DIR_EGRESS]);
    entry["ingress"] = pod_direction_json(pod.stats.dir[TCPULSE_DIR_INGRESS]);
    entry["active_connections"] = pod.active_connections;
    out.push_back(std::move(entry));
  }
  return out;
}

nlohmann::json flows_json(const NodeSnapshot& snap) {
  std::map<uint32_t, const PodSnapshot*> by_ifindex;
  for (const auto& pod : snap.pods) by_ifindex[pod.ifindex] = &pod;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& flow : snap.flows) {
    const auto& k = flow.key;
    const auto& s = flow.stats;
    // A flow a former pod on this ifindex left (soon expired) is nobody's.
    auto it = by_ifindex.find(k.ifindex);
    const PodRecord* pod =
        it != by_ifindex.end() && flow_is_pods(s, it->second->account) ? &it->second->record : nullptr;
    out.push_back({{"namespace", pod ? pod->pod_namespace : std::string()},
                   {"pod", pod ? pod->pod_name : std::string()},
                   {"host_ifindex", k.ifindex},
                   {"local", address_text(k.family, k.local_addr)},
                   {"local_port", ntohs(k.local_port)},
                   {"remote", address_text(k.family, k.remote_addr)},
                   {"remote_port", ntohs(k.remote_port)},
                   {"egress", direction_json(s.egress)},
                   {"ingress", direction_json(s.ingress)},
                   {"role", s.role == TCPULSE_FLOW_ROLE_CLIENT   ? "client"
                            : s.role == TCPULSE_FLOW_ROLE_SERVER ? "server"
                                                                 : "unknown"},
                   {"state", state_name(s.state)},
                   {"handshake_rtt_ns", s.handshake_rtt_ns},
                   {"rtt_samples", s.rtt_count},
                   {"rtt_min_ns", s.rtt_min_ns},
                   {"rtt_max_ns", s.rtt_max_ns},
                   {"rtt_mean_ns", s.rtt_count ? s.rtt_sum_ns / s.rtt_count : 0},
                   {"first_seen_ns", s.first_seen_ns},
                   {"last_seen_ns", flow_last_seen_ns(s)}});
  }
  return out;
}

std::string json_text(const nlohmann::json& doc) {
  // Every string in a view is valid UTF-8 already; replacing is the backstop that keeps one odd
  // record from turning a whole answer into an error.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace tcpulse::agent
