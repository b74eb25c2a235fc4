// Per-peer series (--peer-metrics): bytes, retransmitted segments, resets and an RTT histogram
// per (pod, peer address, server port, role), for the peers that matter, without a label
// explosion. Each collection, the connections' deltas are summed per peer; a pod's top-K peers
// by bytes in that interval get series of their own, and keep them until they have been idle
// for the grace period; everything else is folded into the pod's peer="other" series, as is a
// peer's total when its series goes. A node-wide cap bounds the series whatever the traffic.
// Counters never go back: a peer's series only ever grows until it goes, and "other" only grows.
//
// The RTT histogram of a peer counts each connection's samples of an interval at their mean over
// that interval (the datapath keeps a sum per connection, not each sample): a resolution of one
// interval per connection.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <prometheus/metric_family.h>

#include "agent/connection_tracker.h"

namespace tcpulse::agent {

struct PeerOptions {
  size_t top_k = 10;               // peers with series of their own per pod, by interval bytes
  size_t series_max = 2000;        // peers with series of their own on the node
  uint64_t idle_grace_ns = 60ULL * 1'000'000'000;  // a peer series idle this long is folded
};

// What a peer series counts.
struct PeerCounters {
  uint64_t bytes[TCPULSE_DIR_COUNT] = {};
  uint64_t retrans_segments[TCPULSE_DIR_COUNT] = {};
  uint64_t resets[TCPULSE_DIR_COUNT] = {};
  __u64 rtt_buckets[TCPULSE_RTT_BUCKETS] = {};  // the datapath's type, for add_rtt_histogram
  uint64_t rtt_sum_ns = 0;
  void add(const PeerCounters& other);
};

class PeerAggregator {
 public:
  explicit PeerAggregator(PeerOptions options) : options_(options) {}

  // A connection of pod (namespace, name) moved by `delta` since the last collection.
  void add(const std::string& pod_namespace, const std::string& pod_name, const Connection& c,
           const ConnectionCounters& delta);
  // Ends the collection at now_ns (monotonic): picks who has a series, folds the rest.
  void end_collection(uint64_t now_ns);
  // Forgets the pods not in `live` (namespace, name): their series go with them.
  void keep_only(const std::vector<std::pair<std::string, std::string>>& live);

  std::vector<prometheus::MetricFamily> families() const;
  size_t series() const { return shown_.size(); }
  // Peers the last collection saw move (its working set, freed at its end).
  size_t last_interval_peers() const { return last_interval_peers_; }

  // A peer as its labels name it.
  struct Key {
    std::string pod_namespace, pod_name, peer;  // peer: an address, or "other"
    uint16_t server_port = 0;                   // 0 for "other"
    uint8_t role = 0;                           // enum tcpulse_flow_role; 0 for "other"
    auto tie() const { return std::tie(pod_namespace, pod_name, peer, server_port, role); }
    bool operator<(const Key& o) const { return tie() < o.tie(); }
  };

 private:
  struct Shown {
    PeerCounters counters;
    uint64_t last_active_ns = 0;
  };
  PeerOptions options_;
  std::map<Key, PeerCounters> interval_;  // this collection's deltas, per peer
  std::map<Key, Shown> shown_;            // peers with series of their own
  std::map<std::pair<std::string, std::string>, PeerCounters> other_;  // per pod
  std::map<std::string, uint64_t> folded_;  // tcpulse_peer_series_folded_total{reason}
  size_t last_interval_peers_ = 0;
};

}  // namespace tcpulse::agent
