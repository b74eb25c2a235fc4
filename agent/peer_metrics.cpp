#include "agent/peer_metrics.h"

#include "agent/connection_record.h"
#include "agent/metrics_exporter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tcpulse::agent {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

int rtt_bucket(uint64_t ns) {
  for (int i = 0; i < TCPULSE_RTT_BUCKETS - 1; i++)
    if (ns <= static_cast<uint64_t>(TCPULSE_RTT_BUCKET0_NS) << i) return i;
  return TCPULSE_RTT_BUCKETS - 1;
}

uint64_t total_bytes(const PeerCounters& c) { return c.bytes[0] + c.bytes[1]; }

}  // namespace

void PeerCounters::add(const PeerCounters& o) {
  for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
    bytes[d] += o.bytes[d];
    retrans_segments[d] += o.retrans_segments[d];
    resets[d] += o.resets[d];
  }
  for (int i = 0; i < TCPULSE_RTT_BUCKETS; i++) rtt_buckets[i] += o.rtt_buckets[i];
  rtt_sum_ns += o.rtt_sum_ns;
}

void PeerAggregator::add(const std::string& pod_namespace, const std::string& pod_name,
                         const Connection& c, const ConnectionCounters& delta) {
  if (delta == ConnectionCounters{}) return;  // nothing moved: nothing to add
  const FlowKey& k = c.id.key;
  Key key{pod_namespace, pod_name, address_text(k.family, k.remote_addr),
          ntohs(c.role == TCPULSE_FLOW_ROLE_SERVER ? k.local_port : k.remote_port), c.role};
  PeerCounters& p = interval_[key];
  for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
    p.bytes[d] += delta.dir[d].bytes;
    p.retrans_segments[d] += delta.dir[d].retrans_segments;
    p.resets[d] += delta.dir[d].resets;
  }
  if (delta.rtt_samples) {
    p.rtt_buckets[rtt_bucket(delta.rtt_sum_ns / delta.rtt_samples)] += delta.rtt_samples;
    p.rtt_sum_ns += delta.rtt_sum_ns;
  }
}

void PeerAggregator::end_collection(uint64_t now_ns) {
  // Each pod's peers of this interval, busiest first.
  std::map<std::pair<std::string, std::string>, std::vector<const std::pair<const Key, PeerCounters>*>> by_pod;
  for (const auto& entry : interval_) by_pod[{entry.first.pod_namespace, entry.first.pod_name}].push_back(&entry);
  for (auto& [pod, peers] : by_pod) {
    std::sort(peers.begin(), peers.end(), [](const auto* a, const auto* b) {
      return total_bytes(a->second) > total_bytes(b->second);
    });
    for (size_t i = 0; i < peers.size(); i++) {
      const auto& [key, counters] = *peers[i];
      auto shown = shown_.find(key);
      bool top = i < options_.top_k && total_bytes(counters) > 0;
      if (shown == shown_.end() && top && shown_.size() < options_.series_max)
        shown = shown_.emplace(key, Shown{}).first;
      if (shown != shown_.end()) {
        shown->second.counters.add(counters);
        if (total_bytes(counters)) shown->second.last_active_ns = now_ns;
      } else {
        other_[pod].add(counters);
        folded_[top ? "node_cap" : "top_k"]++;
      }
    }
  }
  last_interval_peers_ = interval_.size();
  interval_.clear();
  // A series idle for the grace period goes; what it counted stays in its pod's "other".
  for (auto it = shown_.begin(); it != shown_.end();) {
    if (now_ns - it->second.last_active_ns >= options_.idle_grace_ns) {
      other_[{it->first.pod_namespace, it->first.pod_name}].add(it->second.counters);
      folded_["idle"]++;
      it = shown_.erase(it);
    } else {
      ++it;
    }
  }
}

void PeerAggregator::keep_only(const std::vector<std::pair<std::string, std::string>>& live) {
  auto alive = [&](const std::string& ns, const std::string& name) {
    return std::find(live.begin(), live.end(), std::make_pair(ns, name)) != live.end();
  };
  std::erase_if(shown_, [&](const auto& e) { return !alive(e.first.pod_namespace, e.first.pod_name); });
  std::erase_if(other_, [&](const auto& e) { return !alive(e.first.first, e.first.second); });
}

std::vector<MetricFamily> PeerAggregator::families() const {
  MetricFamily bytes{"tcpulse_peer_bytes_total",
                     "IP bytes of the pod's connections with one peer (address, server port, "
                     "role), by direction; peer=\"other\" holds the peers without a series.",
                     MetricType::Counter, {}};
  MetricFamily retrans{"tcpulse_peer_retransmitted_segments_total",
                       "Retransmitted TCP segments of the pod's connections with one peer, by direction.",
                       MetricType::Counter, {}};
  MetricFamily resets{"tcpulse_peer_resets_total",
                      "TCP RST segments of the pod's connections with one peer: egress = sent by the pod.",
                      MetricType::Counter, {}};
  MetricFamily rtt{"tcpulse_peer_rtt_seconds",
                   "RTT of the pod's connections with one peer; each connection's samples of an "
                   "interval counted at their mean.",
                   MetricType::Histogram, {}};
  MetricFamily folded{"tcpulse_peer_series_folded_total",
                      "Peers' interval counts folded into peer=\"other\", by reason: top_k (not "
                      "among the pod's busiest), node_cap (--peer-series-max reached), idle (a "
                      "series idle for the grace period, folded whole).",
                      MetricType::Counter, {}};
  MetricFamily series{"tcpulse_peer_series", "Peers with series of their own on this node.",
                      MetricType::Gauge, {}};
  const char* dirs[TCPULSE_DIR_COUNT] = {"egress", "ingress"};
  auto emit = [&](const Key& key, const PeerCounters& c) {
    std::vector<ClientMetric::Label> labels = {
        {"namespace", key.pod_namespace}, {"pod", key.pod_name}, {"peer", key.peer},
        {"port", key.server_port ? std::to_string(key.server_port) : ""},
        {"role", key.role == TCPULSE_FLOW_ROLE_CLIENT   ? "client"
                 : key.role == TCPULSE_FLOW_ROLE_SERVER ? "server"
                 : key.peer == "other"                  ? ""
                                                        : "unknown"}};
    for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
      auto l = labels;
      l.push_back({"direction", dirs[d]});
      for (auto [family, value] : {std::pair{&bytes, c.bytes[d]}, std::pair{&retrans, c.retrans_segments[d]},
                                   std::pair{&resets, c.resets[d]}}) {
        ClientMetric m;
        m.label = l;
        m.counter.value = static_cast<double>(value);
        family->metric.push_back(std::move(m));
      }
    }
    add_rtt_histogram(rtt, labels, c.rtt_buckets, c.rtt_sum_ns);
  };
  for (const auto& [key, s] : shown_) emit(key, s.counters);
  for (const auto& [pod, c] : other_) emit(Key{pod.first, pod.second, "other", 0, 0}, c);
  for (const char* reason : {"top_k", "node_cap", "idle"}) {
    ClientMetric m;
    m.label = {{"reason", reason}};
    auto it = folded_.find(reason);
    m.counter.value = it == folded_.end() ? 0.0 : static_cast<double>(it->second);
    folded.metric.push_back(std::move(m));
  }
  ClientMetric n;
  n.gauge.value = static_cast<double>(shown_.size());
  series.metric.push_back(std::move(n));
  return {std::move(bytes), std::move(retrans), std::move(resets), std::move(rtt),
          std::move(folded), std::move(series)};
}

}  // namespace tcpulse::agent
