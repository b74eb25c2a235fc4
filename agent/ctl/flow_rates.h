// The rows of a pod's connections in `tcpulsectl top` (Enter on a pod) and `tcpulsectl flows`:
// rates per connection from two reads of /flows. The agent keeps an RTT mean, minimum and
// maximum per connection, not a histogram: a connection row shows the mean RTT of the samples
// taken in the interval and its largest RTT so far.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/ctl/pod_rates.h"

namespace tcpulse::ctl {

struct FlowSample {
  std::string id;  // local:port-remote:port@first_seen, unique while the connection lives
  std::string pod_namespace, pod, local, peer, role, state;
  uint16_t local_port = 0, peer_port = 0;
  DirectionCounters dir[2];  // kEgress, kIngress
  uint64_t rtt_samples = 0, rtt_sum_ns = 0, rtt_max_ns = 0;
};

struct FlowsRead {
  double at_s = 0;
  std::vector<FlowSample> flows;
};

// /flows' answer ({"flows": [...]}) as samples; malformed entries are skipped.
FlowsRead flows_read(const nlohmann::json& answer, double at_s);

struct FlowRow {
  std::string pod_namespace, pod, peer, role, state;
  uint16_t local_port = 0, peer_port = 0;
  double tx_bytes_per_s = 0, rx_bytes_per_s = 0;
  double rtt_mean_s = -1, rtt_max_s = -1;  // -1: no sample (in the interval, or ever)
  double retrans_ratio = 0;
  uint64_t resets = 0, zero_windows = 0;   // both directions, since it opened
  bool rtt_warn = false, retrans_warn = false;
  bool warn() const { return rtt_warn || retrans_warn; }
};

// Busiest first (bytes both ways over the interval), then by peer.
std::vector<FlowRow> flow_rows(const FlowsRead* prev, const FlowsRead& cur, const Thresholds& t);

}  // namespace tcpulse::ctl
