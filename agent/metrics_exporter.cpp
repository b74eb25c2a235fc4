#include "agent/metrics_exporter.h"

#include <prometheus/text_serializer.h>

#include <map>
#include <sstream>

namespace tcpulse::agent {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr const char* kDirections[TCPULSE_DIR_COUNT] = {"egress", "ingress"};

ClientMetric labelled(std::vector<ClientMetric::Label> labels) {
  ClientMetric m;
  m.label = std::move(labels);
  return m;
}

}  // namespace

std::vector<MetricFamily> pod_metric_families(const NodeSnapshot& snap) {
  MetricFamily info{"tcpulse_pod_info",
                    "A monitored pod interface: 1 per host veth tcpulse is attached to.",
                    MetricType::Gauge, {}};
  MetricFamily packets{"tcpulse_packets_total",
                       "IP packets (wire segments) by pod and direction, from the pod's view.",
                       MetricType::Counter, {}};
  MetricFamily bytes{"tcpulse_bytes_total",
                     "IP bytes (headers included) by pod and direction, from the pod's view.",
                     MetricType::Counter, {}};
  MetricFamily errors{"tcpulse_datapath_errors_total",
                      "Packets the datapath could not fully account, by reason.",
                      MetricType::Counter, {}};

  // A pod with several interfaces (Multus) is one pod: its counters add up.
  std::map<std::pair<std::string, std::string>, tcpulse_pod_traffic> per_pod;
  for (const auto& pod : snap.pods) {
    const auto& r = pod.record;
    auto m = labelled({{"namespace", r.pod_namespace},
                       {"pod", r.pod_name},
                       {"pod_uid", r.pod_uid},
                       {"container_id", r.container_id},
                       {"interface", r.ifname},
                       {"host_ifindex", std::to_string(pod.ifindex)}});
    m.gauge.value = 1;
    info.metric.push_back(std::move(m));
    auto& sum = per_pod[{r.pod_namespace, r.pod_name}];
    for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
      sum.packets[d] += pod.traffic.packets[d];
      sum.bytes[d] += pod.traffic.bytes[d];
    }
  }
  for (const auto& [pod, traffic] : per_pod) {
    for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
      std::vector<ClientMetric::Label> labels = {
          {"namespace", pod.first}, {"pod", pod.second}, {"direction", kDirections[d]}};
      auto p = labelled(labels);
      p.counter.value = static_cast<double>(traffic.packets[d]);
      packets.metric.push_back(std::move(p));
      auto b = labelled(labels);
      b.counter.value = static_cast<double>(traffic.bytes[d]);
      bytes.metric.push_back(std::move(b));
    }
  }
  for (int reason = 0; reason < TCPULSE_ERR_COUNT; reason++) {
    auto e = labelled({{"reason", std::string(error_reason_name(reason))}});
    e.counter.value = static_cast<double>(snap.errors[reason]);
    errors.metric.push_back(std::move(e));
  }
  return {std::move(info), std::move(packets), std::move(bytes), std::move(errors)};
}

std::string render_text(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace tcpulse::agent
