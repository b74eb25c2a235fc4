// Collector: the agent's one reader of the datapath. Every interval, on the event loop, it scans
// the pod maps and the flow table (the slots through their mapping, the overflow hashes in
// batches) into a model: the pods with their totals, every connection (ConnectionTracker), the
// error counters and the table's occupancy. /metrics, /pods, /flows and the connection log all
// read that model; no HTTP request walks a BPF map, and a scrape costs a render.
//
// A pod that is gone (its DEL came, or its veth vanished) stays in the model for the grace period
// with its last totals, so that Prometheus scrapes its final values before its series go.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/connection_log.h"
#include "agent/connection_record.h"
#include "agent/connection_tracker.h"
#include "agent/node_snapshot.h"
#include "agent/peer_metrics.h"

namespace tcpulse::agent {

struct CollectorOptions {
  uint64_t pod_grace_ns = 60ULL * 1'000'000'000;
  // Where the last records' counters are kept across an agent restart ("" = nowhere): a restarted
  // agent's records go on from them rather than from zero.
  std::filesystem::path checkpoint;
  // Per-peer series (--peer-metrics); nullopt: off.
  std::optional<PeerOptions> peers;
};

struct CollectionStats {
  uint64_t collections = 0;  // successful
  uint64_t failures = 0;
  bool last_failed = false;
  std::string last_error;
  double last_duration_s = 0;
  // The duration histogram: cumulative counts per bound in kDurationBounds, and the sum.
  static constexpr double kDurationBounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,   0.25,   0.5,   1,    2.5};
  uint64_t duration_buckets[std::size(kDurationBounds)] = {};
  double duration_sum_s = 0;
};

class Collector {
 public:
  // log: where connection records go (nullptr: none are generated).
  Collector(const DatapathMaps& maps, CollectorOptions options, ConnectionLog* log);

  // One scan of the datapath into the model; records of what changed go to the log.
  Result<void> collect();
  // A big answer was rendered (a whole /flows): the next collections give the heap's free memory
  // back to the system, so that the agent's RSS follows its model rather than its peak (two: the
  // answer may still be on its way out at the first).
  void trim_heap_next() { trim_heap_collections_ = 2; }
  // Called by the reconciler right before it removes a flow from the table.
  void flow_expiring(const FlowKey& key, const tcpulse_flow_stats& flow, CloseReason reason);

  // The model: pods present and departed within the grace period (departed first), the error
  // counters and the flow table's occupancy, as of the last collection.
  const NodeSnapshot& node() const { return node_; }
  const ConnectionTracker& connections() const { return tracker_; }
  const CollectionStats& stats() const { return stats_; }
  // The per-peer series, when on.
  const PeerAggregator* peers() const { return peers_ ? &*peers_ : nullptr; }
  uint64_t records(const std::string& event) const;
  // The pod (present or departed) of a host veth, and the pod on this node holding an address.
  const PodRecord* pod_of(uint32_t ifindex) const;
  const PeerPod* peer_of(uint8_t family, const uint8_t* addr) const;
  // Wall clock of the last collection, and the monotonic stamp that goes with it.
  const RecordClock& clock() const { return clock_; }

 private:
  void write(const ConnectionEvent& event);
  std::vector<PodSnapshot> with_departed(std::vector<PodSnapshot> present, uint64_t now_mono);
  void index_addresses(const std::vector<PodSnapshot>& pods);
  DeltaSink peer_delta(const PodRecord& pod);

  const DatapathMaps& maps_;
  CollectorOptions options_;
  ConnectionLog* log_;
  ConnectionTracker tracker_;
  NodeSnapshot node_;
  std::map<uint32_t, size_t> present_by_ifindex_;  // into node_.pods
  std::map<std::string, PeerPod> pods_by_address_;           // by the address's 16 bytes and family
  CollectionStats stats_;
  RecordClock clock_;
  std::map<std::string, uint64_t> records_;        // by event
  const PodRecord* current_pod_ = nullptr;         // the pod of the flow being observed
  std::optional<PeerAggregator> peers_;
  int trim_heap_collections_ = 0;
};

}  // namespace tcpulse::agent
