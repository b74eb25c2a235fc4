#include "agent/metrics_exporter.h"

#include <prometheus/text_serializer.h>

#include <cmath>
#include <map>
#include <sstream>

#include "tc-bpf/lib/utf8_text.h"

namespace tcpulse::agent {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

constexpr const char* kDirections[TCPULSE_DIR_COUNT] = {"egress", "ingress"};
constexpr const char* kRoles[TCPULSE_ROLE_COUNT] = {"client", "server"};

struct PodTotals {
  tcpulse_pod_stats stats{};
  uint64_t active = 0;
};

}  // namespace

MetricFamily metric_family(const char* name, const char* help, MetricType type) {
  return MetricFamily{name, help, type, {}};
}

void add_sample(MetricFamily& f, std::vector<ClientMetric::Label> labels, double value) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter) m.counter.value = value;
  else m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

void add_rtt_histogram(MetricFamily& f, std::vector<ClientMetric::Label> labels,
                       const __u64 (&buckets)[TCPULSE_RTT_BUCKETS], uint64_t sum_ns) {
  ClientMetric m;
  m.label = std::move(labels);
  uint64_t cumulative = 0;
  for (int i = 0; i < TCPULSE_RTT_BUCKETS; i++) {
    cumulative += buckets[i];
    double bound = i == TCPULSE_RTT_BUCKETS - 1
                       ? std::numeric_limits<double>::infinity()
                       : TCPULSE_RTT_BUCKET0_NS * 1e-9 * static_cast<double>(1ULL << i);
    m.histogram.bucket.push_back({cumulative, bound});
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = static_cast<double>(sum_ns) * 1e-9;
  f.metric.push_back(std::move(m));
}

MetricFamily agent_errors_family(const std::map<std::string, uint64_t>& by_op) {
  auto f = metric_family("tcpulse_agent_errors_total",
                  "Steps the agent could not carry out, by step: a reconcile step a failed map "
                  "walk aborted (adopt, collect, sweep, expire), a pod that could not be "
                  "attached (attach), a scan of the datapath (collection).",
                  MetricType::Counter);
  for (const char* op : {"adopt", "collect", "sweep", "expire", "attach", "collection"}) {
    auto it = by_op.find(op);
    add_sample(f, {{"op", op}}, it == by_op.end() ? 0.0 : static_cast<double>(it->second));
  }
  return f;
}

MetricFamily http_connections_family(const HttpServerStats& stats) {
  auto f = metric_family("tcpulse_agent_http_connections_total",
                  "The agent's HTTP clients by what happened to them: accepted; evicted (waited "
                  "longest for a request when the cap was reached); refused (at the cap, every "
                  "connection busy); rejected (a 4xx for a malformed or oversized request); "
                  "timed_out; out_of_descriptors (accept found none).",
                  MetricType::Counter);
  const std::pair<const char*, uint64_t> events[] = {
      {"accepted", stats.accepted},   {"evicted", stats.evicted},
      {"refused", stats.refused_busy}, {"rejected", stats.rejected},
      {"timed_out", stats.timed_out}, {"out_of_descriptors", stats.accept_fd_exhausted}};
  for (const auto& [event, count] : events) add_sample(f, {{"event", event}}, static_cast<double>(count));
  return f;
}

std::vector<MetricFamily> pod_metric_families(const NodeSnapshot& snap) {
  auto info = metric_family("tcpulse_pod_info",
                     "A monitored pod interface: 1 per host veth tcpulse is attached to, and 1 per "
                     "host-network pod seen on an uplink (host_network=\"true\", no interface).",
                     MetricType::Gauge);
  auto packets = metric_family("tcpulse_packets_total",
                        "IP packets (wire segments) by pod and direction, from the pod's view.",
                        MetricType::Counter);
  auto bytes = metric_family("tcpulse_bytes_total",
                      "IP bytes (headers included) by pod and direction, from the pod's view.",
                      MetricType::Counter);
  auto rtt = metric_family("tcpulse_tcp_rtt_seconds",
                    "Network round-trip time of the pod's TCP connections, from TCP timestamps "
                    "(host veth to peer and back).",
                    MetricType::Histogram);
  auto hs_rtt = metric_family("tcpulse_tcp_handshake_rtt_seconds",
                       "TCP handshake round trip: SYN to SYN/ACK (client), SYN/ACK to ACK (server).",
                       MetricType::Histogram);
  auto retrans_segs = metric_family("tcpulse_tcp_retransmitted_segments_total",
                             "TCP segments carrying only data already sent (loss), by direction.",
                             MetricType::Counter);
  auto retrans_bytes = metric_family("tcpulse_tcp_retransmitted_bytes_total",
                              "Payload bytes of retransmitted TCP segments, by direction.",
                              MetricType::Counter);
  auto resets = metric_family("tcpulse_tcp_resets_total",
                       "TCP RST segments: egress = sent by the pod, ingress = received.",
                       MetricType::Counter);
  auto zero_window = metric_family("tcpulse_tcp_zero_window_segments_total",
                            "TCP segments advertising a zero receive window; egress = the pod's "
                            "receiver stalled.",
                            MetricType::Counter);
  auto syn_retries = metric_family("tcpulse_tcp_syn_retries_total",
                            "Repeated SYN or SYN/ACK segments: connection attempts that needed a retry.",
                            MetricType::Counter);
  auto opened = metric_family("tcpulse_tcp_connections_opened_total",
                       "TCP connections whose handshake was seen, by the pod's role.",
                       MetricType::Counter);
  auto closed = metric_family("tcpulse_tcp_connections_closed_total",
                       "Opened TCP connections that closed (FIN both ways, or RST).",
                       MetricType::Counter);
  auto active = metric_family("tcpulse_tcp_connections_active",
                       "TCP connections of the pod in the flow table and not closed.",
                       MetricType::Gauge);
  auto errors = metric_family("tcpulse_datapath_errors_total",
                       "Packets the datapath could not fully account, by reason.",
                       MetricType::Counter);

  // A pod with several interfaces (Multus) is one pod: its counters add up.
  std::map<std::pair<std::string, std::string>, PodTotals> per_pod;
  for (const auto& pod : snap.pods) {
    const auto& r = pod.record;
    add_sample(info, {{"namespace", r.pod_namespace}, {"pod", r.pod_name}, {"pod_uid", r.pod_uid},
               {"container_id", valid_utf8(r.container_id)}, {"interface", valid_utf8(r.ifname)},
               {"host_ifindex", std::to_string(r.host_network ? 0 : pod.ifindex)},
               {"host_network", r.host_network ? "true" : "false"}},
        1);
    auto& totals = per_pod[{r.pod_namespace, r.pod_name}];
    add_pod_stats(totals.stats, pod.stats);
    totals.active += pod.active_connections;
  }
  for (const auto& [id, totals] : per_pod) {
    const auto& s = totals.stats;
    Labels pod = {{"namespace", id.first}, {"pod", id.second}};
    auto with = [&](const char* key, const char* value) {
      Labels l = pod;
      l.push_back({key, value});
      return l;
    };
    for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
      auto l = with("direction", kDirections[d]);
      add_sample(packets, l, static_cast<double>(s.dir[d].packets));
      add_sample(bytes, l, static_cast<double>(s.dir[d].bytes));
      add_sample(retrans_segs, l, static_cast<double>(s.dir[d].retrans_segs));
      add_sample(retrans_bytes, l, static_cast<double>(s.dir[d].retrans_bytes));
      add_sample(resets, l, static_cast<double>(s.dir[d].rsts));
      add_sample(zero_window, l, static_cast<double>(s.dir[d].zero_windows));
    }
    for (int role = 0; role < TCPULSE_ROLE_COUNT; role++) {
      add_sample(opened, with("role", kRoles[role]), static_cast<double>(s.opened[role]));
      add_rtt_histogram(hs_rtt, with("role", kRoles[role]), s.handshake_rtt_buckets[role],
                    s.handshake_rtt_sum_ns[role]);
    }
    add_rtt_histogram(rtt, pod, s.rtt_buckets, s.rtt_sum_ns);
    add_sample(syn_retries, pod, static_cast<double>(s.syn_retries));
    add_sample(closed, pod, static_cast<double>(s.closed));
    add_sample(active, pod, static_cast<double>(totals.active));
  }
  for (int reason = 0; reason < TCPULSE_ERR_COUNT; reason++)
    add_sample(errors, {{"reason", std::string(error_reason_name(reason))}},
        static_cast<double>(snap.errors[reason]));
  return {std::move(info),         std::move(packets),      std::move(bytes),
          std::move(rtt),          std::move(hs_rtt),       std::move(retrans_segs),
          std::move(retrans_bytes), std::move(resets),      std::move(zero_window),
          std::move(syn_retries),  std::move(opened),       std::move(closed),
          std::move(active),       std::move(errors)};
}

std::string render_text(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace tcpulse::agent
