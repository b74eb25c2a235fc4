#include "agent/json_views.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "agent/query_string.h"
#include "tc-bpf/lib/pod_ledger.h"

namespace tcpulse::agent {

namespace {

nlohmann::json direction_json(const DirCounters& d, uint16_t syns, uint8_t flags, uint8_t wscale) {
  nlohmann::json out = {{"packets", d.packets},
                        {"bytes", d.bytes},
                        {"payload_bytes", d.payload_bytes},
                        {"retransmitted_segments", d.retrans_segments},
                        {"retransmitted_bytes", d.retrans_bytes},
                        {"resets", d.resets},
                        {"zero_window_segments", d.zero_windows},
                        {"syns", syns},
                        {"fin", (flags & TCPULSE_DIRF_FIN) != 0}};
  if (flags & TCPULSE_DIRF_WSCALE) out["window_scale"] = wscale;
  return out;
}

nlohmann::json pod_direction_json(const tcpulse_pod_dir& d) {
  return {{"packets", d.packets}, {"bytes", d.bytes}, {"retransmitted_segments", d.retrans_segs},
          {"resets", d.rsts}, {"zero_window_segments", d.zero_windows}};
}

}  // namespace

nlohmann::json pods_json(const NodeSnapshot& snap, bool with_departed) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& pod : snap.pods) {
    if (pod.departed_ns && !with_departed) continue;
    const auto& r = pod.record;
    nlohmann::json entry = r.to_json();
    // A host-network pod's key is the agent's, not an interface's.
    entry["host_ifindex"] = r.host_network ? 0 : pod.ifindex;
    entry["host_network"] = r.host_network;
    entry["egress"] = pod_direction_json(pod.stats.dir[TCPULSE_DIR_EGRESS]);
    entry["ingress"] = pod_direction_json(pod.stats.dir[TCPULSE_DIR_INGRESS]);
    entry["active_connections"] = pod.active_connections;
    const tcpulse_pod_stats& st = pod.stats;
    entry["connections_opened"] = {{"client", st.opened[TCPULSE_ROLE_CLIENT]},
                                   {"server", st.opened[TCPULSE_ROLE_SERVER]}};
    entry["connections_closed"] = st.closed;
    entry["syn_retries"] = st.syn_retries;
    // The RTT histogram as counts per bucket (bucket i: up to bucket0_ns * 2^i; the last one
    // unbounded), so that a client can take quantiles of what changed between two reads.
    nlohmann::json buckets = nlohmann::json::array();
    for (auto b : st.rtt_buckets) buckets.push_back(b);
    entry["rtt"] = {{"bucket0_ns", TCPULSE_RTT_BUCKET0_NS}, {"buckets", std::move(buckets)}, {"sum_ns", st.rtt_sum_ns}};
    entry["departed"] = pod.departed_ns != 0;
    out.push_back(std::move(entry));
  }
  return out;
}

FlowQuery flow_query(const std::string& target, std::string* error) {
  FlowQuery q;
  auto params = query_params(target);
  if (auto it = params.find("namespace"); it != params.end()) q.pod_namespace = it->second;
  if (auto it = params.find("pod"); it != params.end()) q.pod_name = it->second;
  if (auto it = params.find("peer"); it != params.end()) q.peer = it->second;
  if (auto it = params.find("limit"); it != params.end()) {
    unsigned long long v = 0;
    auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec != std::errc() || end != it->second.data() + it->second.size())
      *error = "limit wants a number (0 = all), got '" + it->second + "'";
    else
      q.limit = static_cast<size_t>(v);
  }
  return q;
}

namespace {

std::vector<const Connection*> select_flows(const Collector& collector, const FlowQuery& query,
                                           size_t* matched_count) {
  std::vector<const Connection*> matched;
  for (const Connection& c : collector.connections().connections()) {
    if (!query.pod_namespace.empty() || !query.pod_name.empty()) {
      const PodRecord* pod = collector.pod_of(c.pod_key);
      if (!pod) continue;
      if (!query.pod_namespace.empty() && pod->pod_namespace != query.pod_namespace) continue;
      if (!query.pod_name.empty() && pod->pod_name != query.pod_name) continue;
    }
    if (!query.peer.empty() && address_text(c.id.key.family, c.id.key.remote_addr) != query.peer) continue;
    matched.push_back(&c);
  }
  auto busier = [](const Connection* a, const Connection* b) {
    if (a->interval_bytes != b->interval_bytes) return a->interval_bytes > b->interval_bytes;
    uint64_t ta = a->now.dir[0].bytes + a->now.dir[1].bytes, tb = b->now.dir[0].bytes + b->now.dir[1].bytes;
    if (ta != tb) return ta > tb;
    return a->id.first_seen_ns < b->id.first_seen_ns;
  };
  size_t shown = query.limit && query.limit < matched.size() ? query.limit : matched.size();
  std::partial_sort(matched.begin(), matched.begin() + shown, matched.end(), busier);
  *matched_count = matched.size();
  matched.resize(shown);
  return matched;
}

std::string flow_line(const Collector& collector, const Connection& c) {
  const RecordClock& clock = collector.clock();
  const FlowKey& k = c.id.key;
  const PodRecord* pod = collector.pod_of(c.pod_key);
  bool host = k.ifindex == TCPULSE_HOST_FLOWS;
  nlohmann::json f = {
      {"namespace", pod ? pod->pod_namespace : std::string()},
      {"pod", pod ? pod->pod_name : std::string()},
      {"host_ifindex", host ? 0 : k.ifindex},  // a host socket's flow is on an uplink, not a veth
      {"host_network", host},
      {"local", address_text(k.family, k.local_addr)},
      {"local_port", ntohs(k.local_port)},
      {"remote", address_text(k.family, k.remote_addr)},
      {"remote_port", ntohs(k.remote_port)},
      {"egress", direction_json(c.now.dir[TCPULSE_DIR_EGRESS], c.syns[TCPULSE_DIR_EGRESS],
                                c.dir_flags[TCPULSE_DIR_EGRESS], c.wscale[TCPULSE_DIR_EGRESS])},
      {"ingress", direction_json(c.now.dir[TCPULSE_DIR_INGRESS], c.syns[TCPULSE_DIR_INGRESS],
                                 c.dir_flags[TCPULSE_DIR_INGRESS], c.wscale[TCPULSE_DIR_INGRESS])},
      {"role", flow_role_name(c.role)},
      {"state", connection_state_name(c.state)},
      {"handshake_rtt_ns", c.handshake_rtt_ns},
      {"syn_retries", c.syn_retries()},
      {"rtt_samples", c.now.rtt_samples},
      {"rtt_min_ns", c.rtt_min_ns},
      {"rtt_max_ns", c.rtt_max_ns},
      {"rtt_mean_ns", c.now.rtt_samples ? c.now.rtt_sum_ns / c.now.rtt_samples : 0},
      {"interval_bytes", c.interval_bytes},
      {"first_seen_ns", c.id.first_seen_ns},
      {"last_seen_ns", c.last_seen_ns},
      {"first_seen", rfc3339_ns(clock.unix_of(c.id.first_seen_ns))},
      {"last_seen", rfc3339_ns(clock.unix_of(c.last_seen_ns))}};
  if (const PeerPod* peer = collector.peer_of(k.family, k.remote_addr)) {
    f["peer_namespace"] = peer->pod_namespace;
    f["peer_pod"] = peer->pod_name;
  }
  return f.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string flows_trailer(size_t matched, size_t shown) {
  return "\n], \"matched\": " + std::to_string(matched) + ", \"omitted\": " +
         std::to_string(matched - shown) + "}\n";
}

}  // namespace

std::string flows_text(const Collector& collector, const FlowQuery& query) {
  size_t matched = 0;
  auto shown = select_flows(collector, query, &matched);
  std::string out = "{\"flows\": [";
  for (size_t i = 0; i < shown.size(); i++) {
    out += i ? ",\n  " : "\n  ";
    out += flow_line(collector, *shown[i]);
  }
  return out + flows_trailer(matched, shown.size());
}

std::function<std::optional<std::string>()> flows_stream(const Collector& collector,
                                                         const FlowQuery& query) {
  size_t matched = 0;
  std::vector<ConnectionId> ids;
  for (const Connection* c : select_flows(collector, query, &matched)) ids.push_back(c->id);
  struct State {
    std::vector<ConnectionId> ids;
    size_t next = 0, written = 0, matched = 0;
    bool done = false;
  };
  auto state = std::make_shared<State>(State{std::move(ids), 0, 0, matched, false});
  return [&collector, state]() -> std::optional<std::string> {
    if (state->done) return std::nullopt;
    std::string out = state->next == 0 ? "{\"flows\": [" : "";
    constexpr size_t kFlowsPerPiece = 512;
    size_t end = std::min(state->ids.size(), state->next + kFlowsPerPiece);
    for (; state->next < end; state->next++) {
      // A connection gone since the selection (expired meanwhile) is left out.
      const Connection* c = collector.connections().connections().find(state->ids[state->next]);
      if (!c) continue;
      out += state->written++ ? ",\n  " : "\n  ";
      out += flow_line(collector, *c);
    }
    if (state->next == state->ids.size()) {
      out += flows_trailer(state->matched, state->written);
      state->done = true;
    }
    return out;
  };
}

std::string json_text(const nlohmann::json& doc) {
  // Every string in a view is valid UTF-8 already; replacing is the backstop that keeps one odd
  // record from turning a whole answer into an error.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace tcpulse::agent
