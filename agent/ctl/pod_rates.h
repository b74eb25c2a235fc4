// The rows of `tcpulsectl top`: rates per pod from two reads of /pods, RTT quantiles of the RTT
// samples taken between them (as Prometheus' histogram_quantile takes them from bucket deltas),
// sorted by a column, filtered by a substring, flagged where they cross a threshold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/ctl/direction_counters.h"

namespace tcpulse::ctl {

// One pod as /pods reports it: totals since it was attached.
struct PodSample {
  std::string pod_namespace, pod;
  DirectionCounters dir[2];  // kEgress, kIngress
  uint64_t active = 0, opened = 0, closed = 0;
  uint64_t rtt_bucket0_ns = 25000;
  std::vector<uint64_t> rtt_buckets;  // counts per bucket, not cumulative
  std::string key() const { return pod_namespace + "/" + pod; }
};

struct PodsRead {
  double at_s = 0;  // when it was read (any monotonic clock)
  std::vector<PodSample> pods;
};

// /pods' answer (present pods) as samples; malformed entries are skipped.
PodsRead pods_read(const nlohmann::json& pods, double at_s);

struct Thresholds {
  double rtt_p99_s = 0;        // 0: none
  double retrans_ratio = 0;    // 0: none
};

struct PodRow {
  std::string pod_namespace, pod;
  double tx_bytes_per_s = 0, rx_bytes_per_s = 0;
  uint64_t active = 0;
  double opened_per_s = 0;
  double rtt_p50_s = -1, rtt_p99_s = -1;  // -1: no RTT sample in the interval
  double retrans_ratio = 0;               // retransmitted / sent segments (egress)
  double resets_per_s = 0, zero_windows_per_s = 0;  // both directions
  bool rtt_warn = false, retrans_warn = false;
  bool warn() const { return rtt_warn || retrans_warn; }
  std::string key() const { return pod_namespace + "/" + pod; }
};

// Rows of cur, with rates over (prev, cur]; a pod prev does not have (or no prev) shows its
// gauges but no rates. A counter that went down (a restarted datapath) counts from zero.
std::vector<PodRow> pod_rows(const PodsRead* prev, const PodsRead& cur, const Thresholds& t);

// The q-quantile (0..1) of the samples in per-bucket counts (bucket i holds samples up to
// bucket0_ns * 2^i ns; the last is unbounded), interpolated linearly inside its bucket; -1 if
// there are none.
double bucket_quantile(double q, uint64_t bucket0_ns, const std::vector<uint64_t>& counts);

enum class PodColumn { Name, Tx, Rx, Active, Opened, RttP50, RttP99, Retrans, Resets, ZeroWindows, Count };
const char* column_title(PodColumn c);

// Sorted by column: names ascending, figures descending (the busiest, slowest, lossiest first);
// ties by name.
void sort_rows(std::vector<PodRow>& rows, PodColumn by);
// Rows whose namespace/pod contains text (case-sensitive; "" keeps all).
std::vector<PodRow> filter_rows(const std::vector<PodRow>& rows, const std::string& text);

}  // namespace tcpulse::ctl
