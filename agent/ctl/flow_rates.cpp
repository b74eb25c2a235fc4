#include "agent/ctl/flow_rates.h"

#include <algorithm>
#include <map>

namespace tcpulse::ctl {
using json = nlohmann::json;

FlowsRead flows_read(const json& answer, double at_s) {
  FlowsRead r;
  r.at_s = at_s;
  if (!answer.is_object() || !answer.contains("flows") || !answer["flows"].is_array()) return r;
  for (const auto& f : answer["flows"]) {
    try {
      FlowSample s;
      s.pod_namespace = f.value("namespace", "");
      s.pod = f.value("pod", "");
      s.local = f.at("local").get<std::string>();
      s.peer = f.at("remote").get<std::string>();
      s.local_port = f.at("local_port").get<uint16_t>();
      s.peer_port = f.at("remote_port").get<uint16_t>();
      s.role = f.value("role", "");
      s.state = f.value("state", "");
      s.dir[kEgress] = direction_counters(f.at("egress"));
      s.dir[kIngress] = direction_counters(f.at("ingress"));
      s.rtt_samples = f.value("rtt_samples", uint64_t{0});
      s.rtt_sum_ns = f.value("rtt_mean_ns", uint64_t{0}) * s.rtt_samples;
      s.rtt_max_ns = f.value("rtt_max_ns", uint64_t{0});
      s.id = s.local + ":" + std::to_string(s.local_port) + "-" + s.peer + ":" + std::to_string(s.peer_port) + "@" +
             std::to_string(f.value("first_seen_ns", uint64_t{0}));
      r.flows.push_back(std::move(s));
    } catch (const json::exception&) {
    }
  }
  return r;
}

std::vector<FlowRow> flow_rows(const FlowsRead* prev, const FlowsRead& cur, const Thresholds& t) {
  std::map<std::string, const FlowSample*> before;
  if (prev)
    for (const auto& f : prev->flows) before[f.id] = &f;
  double dt = prev ? cur.at_s - prev->at_s : 0;
  std::vector<std::pair<uint64_t, FlowRow>> rows;
  for (const auto& s : cur.flows) {
    FlowRow r;
    r.pod_namespace = s.pod_namespace;
    r.pod = s.pod;
    r.peer = s.peer;
    r.peer_port = s.peer_port;
    r.local_port = s.local_port;
    r.role = s.role;
    r.state = s.state;
    r.resets = s.dir[kEgress].resets + s.dir[kIngress].resets;
    r.zero_windows = s.dir[kEgress].zero_windows + s.dir[kIngress].zero_windows;
    r.rtt_max_s = s.rtt_max_ns ? static_cast<double>(s.rtt_max_ns) * 1e-9 : -1;
    uint64_t moved = 0;
    auto it = before.find(s.id);
    const FlowSample zero;
    const FlowSample& b = it != before.end() ? *it->second : zero;  // new: all of it is this interval's
    if (dt > 0) {
      uint64_t tx = counter_delta(s.dir[kEgress].bytes, b.dir[kEgress].bytes), rx = counter_delta(s.dir[kIngress].bytes, b.dir[kIngress].bytes);
      moved = tx + rx;
      r.tx_bytes_per_s = static_cast<double>(tx) / dt;
      r.rx_bytes_per_s = static_cast<double>(rx) / dt;
      uint64_t samples = counter_delta(s.rtt_samples, b.rtt_samples);
      if (samples) r.rtt_mean_s = static_cast<double>(counter_delta(s.rtt_sum_ns, b.rtt_sum_ns)) / static_cast<double>(samples) * 1e-9;
      r.retrans_ratio = retransmission_ratio(s.dir[kEgress], b.dir[kEgress]);
    }
    r.rtt_warn = t.rtt_p99_s > 0 && r.rtt_mean_s >= t.rtt_p99_s;
    r.retrans_warn = t.retrans_ratio > 0 && r.retrans_ratio >= t.retrans_ratio;
    rows.emplace_back(moved, std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first > b.first;
    return std::tie(a.second.peer, a.second.peer_port, a.second.local_port) <
           std::tie(b.second.peer, b.second.peer_port, b.second.local_port);
  });
  std::vector<FlowRow> out;
  for (auto& [moved, r] : rows) out.push_back(std::move(r));
  return out;
}

}  // namespace tcpulse::ctl
