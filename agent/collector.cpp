#include "agent/collector.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <time.h>

#include <algorithm>
#include <cstring>

#include "agent/connection_checkpoint.h"
#include "tc-bpf/lib/pod_ledger.h"

namespace tcpulse::agent {

namespace {

uint64_t clock_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + ts.tv_nsec;
}

std::string address_key(uint8_t family, const uint8_t* addr) {
  return std::string(1, static_cast<char>(family)) +
         std::string(reinterpret_cast<const char*>(addr), family == TCPULSE_AF_INET6 ? 16 : 4);
}

bool same_attachment(const PodSnapshot& a, const PodSnapshot& b) {
  return a.ifindex == b.ifindex && a.record.container_id == b.record.container_id &&
         a.record.ifname == b.record.ifname && a.record.netns_ino == b.record.netns_ino;
}

}  // namespace

Collector::Collector(const DatapathMaps& maps, CollectorOptions options, ConnectionLog* log)
    : maps_(maps), options_(std::move(options)), log_(log), tracker_(log != nullptr) {
  if (options_.peers) peers_.emplace(*options_.peers);
  if (log_ && !options_.checkpoint.empty())
    for (const auto& c : load_checkpoint(options_.checkpoint)) tracker_.restore(c);
}

uint64_t Collector::records(const std::string& event) const {
  auto it = records_.find(event);
  return it == records_.end() ? 0 : it->second;
}

const PodRecord* Collector::pod_of(uint32_t ifindex) const {
  if (auto it = present_by_ifindex_.find(ifindex); it != present_by_ifindex_.end())
    return &node_.pods[it->second].record;
  for (auto it = node_.pods.rbegin(); it != node_.pods.rend(); ++it)  // the latest departure first
    if (it->ifindex == ifindex) return &it->record;
  return nullptr;
}

const PeerPod* Collector::peer_of(uint8_t family, const uint8_t* addr) const {
  auto it = pods_by_address_.find(address_key(family, addr));
  return it == pods_by_address_.end() ? nullptr : &it->second;
}

void Collector::write(const ConnectionEvent& event) {
  if (!log_) return;
  const FlowKey& k = event.connection.id.key;
  log_->write(connection_record_line(event, clock_,
                                     // A connection restored from a checkpoint and not seen since
                                     // has no pod_key: a veth pod's is its key's ifindex.
                                     current_pod_ ? current_pod_
                                                  : pod_of(event.connection.pod_key ? event.connection.pod_key
                                                                                    : k.ifindex),
                                     peer_of(k.family, k.remote_addr)));
  records_[event.event]++;
}

std::vector<PodSnapshot> Collector::with_departed(std::vector<PodSnapshot> present,
                                                  uint64_t now_mono) {
  std::vector<PodSnapshot> next;
  next.reserve(present.size() + node_.pods.size());
  for (auto& old : node_.pods) {
    if (old.departed_ns) {
      if (now_mono - old.departed_ns < options_.pod_grace_ns) next.push_back(std::move(old));
      continue;
    }
    bool still = false;
    for (const auto& p : present) still = still || same_attachment(p, old);
    if (!still && options_.pod_grace_ns) {
      old.departed_ns = now_mono;
      old.active_connections = 0;  // a pod gone has no connection left open
      next.push_back(std::move(old));
    }
  }
  present_by_ifindex_.clear();
  for (auto& p : present) {
    present_by_ifindex_[p.ifindex] = next.size();
    next.push_back(std::move(p));
  }
  return next;
}

DeltaSink Collector::peer_delta(const PodRecord& pod) {
  if (!peers_) return {};
  return [this, &pod](const Connection& c, const ConnectionCounters& delta) {
    peers_->add(pod.pod_namespace, pod.pod_name, c, delta);
  };
}

void Collector::index_addresses(const std::vector<PodSnapshot>& pods) {
  pods_by_address_.clear();
  for (const auto& p : pods)
    for (const auto& ip : p.record.ips) {
      uint8_t addr[16] = {};
      bool v6 = ip.find(':') != std::string::npos;
      if (inet_pton(v6 ? AF_INET6 : AF_INET, ip.c_str(), addr) == 1)
        pods_by_address_[address_key(v6 ? TCPULSE_AF_INET6 : TCPULSE_AF_INET, addr)] =
            PeerPod{p.record.pod_namespace, p.record.pod_name};
    }
}

Result<void> Collector::collect() {
  auto started = std::chrono::steady_clock::now();
  clock_ = {clock_ns(CLOCK_REALTIME), clock_ns(CLOCK_MONOTONIC)};
  ConnectionSink sink = [this](const ConnectionEvent& e) { write(e); };
  tracker_.begin_collection();
  // Records name the pod of a flow as this read found it, and its peer among the pods read now.
  auto snap = read_snapshot(
      maps_,
      [&](const FlowKey& key, const tcpulse_flow_stats& flow, const PodSnapshot* pod) {
        if (!pod) return;  // a former pod's, soon expired
        current_pod_ = &pod->record;
        tracker_.observe(key, flow, sink, peer_delta(pod->record));
        current_pod_ = nullptr;
      },
      [&](const std::vector<PodSnapshot>& pods) { index_addresses(pods); });
  if (!snap) {
    stats_.failures++;
    stats_.last_failed = true;
    stats_.last_error = snap.error().describe();
    return snap.error();
  }
  auto pods = with_departed(std::move(snap.value().pods), clock_.monotonic_ns);
  node_ = std::move(snap).value();
  node_.pods = std::move(pods);
  tracker_.end_collection(sink);
  if (peers_) {
    peers_->end_collection(clock_.monotonic_ns);
    std::vector<std::pair<std::string, std::string>> live;
    for (const auto& p : node_.pods) live.emplace_back(p.record.pod_namespace, p.record.pod_name);
    peers_->keep_only(live);
    // Tens of thousands of peers moving at once (a node's first collection) leave their working
    // set's memory in the heap: back to the system with it.
    if (peers_->last_interval_peers() > 10'000) trim_heap_collections_ = std::max(trim_heap_collections_, 1);
  }
  if (log_ && !options_.checkpoint.empty()) (void)save_checkpoint(options_.checkpoint, tracker_);

  // A render of a whole /flows or a burst of connections leaves freed memory in the heap; what
  // the allocator can give back goes back, so the agent's RSS follows its model.
  if (trim_heap_collections_) {
    malloc_trim(0);
    trim_heap_collections_--;
  }
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  stats_.collections++;
  stats_.last_failed = false;
  stats_.last_error.clear();
  stats_.last_duration_s = took;
  stats_.duration_sum_s += took;
  for (size_t i = 0; i < std::size(CollectionStats::kDurationBounds); i++)
    if (took <= CollectionStats::kDurationBounds[i]) stats_.duration_buckets[i]++;
  return success();
}

void Collector::flow_expiring(const FlowKey& key, const tcpulse_flow_stats& flow,
                              CloseReason reason) {
  ConnectionSink sink = [this](const ConnectionEvent& e) { write(e); };
  const PodRecord* pod = pod_of(flow_owner(key.ifindex, flow));
  tracker_.expire(key, flow, reason, sink, pod ? peer_delta(*pod) : DeltaSink{});
}

}  // namespace tcpulse::agent
