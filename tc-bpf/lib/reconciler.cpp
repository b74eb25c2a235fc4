#include "tc-bpf/lib/reconciler.h"

#include <time.h>

#include <algorithm>
#include <map>
#include <set>

#include "tc-bpf/lib/bpffs.h"
#include "tc-bpf/lib/cni_cache.h"
#include "tc-bpf/lib/host_veth.h"
#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/pending_pods.h"
#include "tc-bpf/lib/pod_attachment.h"
#include "tc-bpf/lib/pod_flows.h"
#include "tc-bpf/lib/pod_slots.h"

namespace tcpulse {

ReconcileReport reconcile(const PinLayout& layout, const ReconcileOptions& options) {
  const auto& state_dir = options.state_dir;
  const auto& cni_cache_dir = options.cni_cache_dir;
  ReconcileReport report;
  auto attachments = PodAttachments::open(layout);
  if (!attachments) {
    report.problems.push_back("datapath not open: " + attachments.error().describe());
    return report;
  }

  report.swept_temp_files = sweep_pending_temp_files(state_dir);
  for (const auto& pod : list_pending(state_dir)) {
    const auto& r = pod.record;
    if (veth_exists(pod.host_ifindex)) {
      auto mode = attachments->attach(pod.host_ifindex, r, AttachMode::Auto);
      if (!mode) {
        report.problems.push_back("attach queued " + r.pod_namespace + "/" + r.pod_name + ": " +
                                  mode.error().describe());
        continue;
      }
      report.attached++;
    } else {
      report.dropped_pending++;
    }
    (void)remove_pending(state_dir, r.container_id, r.ifname);
  }

  if (!cni_cache_dir.empty()) {
    std::set<std::pair<std::string, std::string>> known;
    (void)attachments->maps().pods.for_each([&](const __u32&, const tcpulse_pod_info& info) {
      PodRecord rec = PodRecord::from_abi(info);
      known.emplace(rec.container_id, rec.ifname);
    });
    for (const auto& cached : read_cni_cache(cni_cache_dir)) {
      const auto& a = cached.attachment;
      if (known.count({a.container_id, a.ifname})) continue;
      if (PodRecord::unrecordable(a.container_id, a.ifname)) continue;  // the plugin passed it by
      auto veth = find_host_veth(cached.netns, a.ifname);
      if (!veth || !veth->host) continue;  // sandbox gone, or not a veth: nothing to watch
      PodRecord record = pod_identity(a, veth->netns_ino, &cached.result);
      auto mode = attachments->attach(veth->host->ifindex, record, AttachMode::Auto);
      if (mode) report.adopted++;
      else report.problems.push_back("adopt " + record.pod_name + ": " + mode.error().describe());
    }
  }

  std::vector<PodRecord> vanished;
  std::set<std::string> recorded;
  (void)attachments->maps().pods.for_each([&](const __u32& ifindex, const tcpulse_pod_info& info) {
    PodRecord rec = PodRecord::from_abi(info);
    if (veth_exists(static_cast<int>(ifindex)))
      recorded.insert(attachment_name(rec.container_id, rec.ifname));
    else
      vanished.push_back(std::move(rec));
  });
  for (const auto& rec : vanished) {
    auto r = detach_pod(layout, rec.container_id, rec.ifname);
    if (r) report.collected++;
    else report.problems.push_back("collect " + rec.pod_name + ": " + r.error().describe());
  }

  // Counters whose pod record is gone (a packet that raced a detach) would otherwise stay forever.
  // Under the writers' lock: an ADD writes its record and attaches while holding it, so no new
  // pod's first counters can be mistaken for orphans.
  auto lock = DirLock::acquire(layout.root());
  if (!lock) {
    report.problems.push_back(lock.error().describe());
    return report;
  }
  std::map<__u32, tcpulse_pod_info> live;
  (void)attachments->maps().pods.for_each([&](const __u32& ifindex, const tcpulse_pod_info& info) {
    live.emplace(ifindex, info);
  });
  std::set<__u32> live_ifindexes;
  for (const auto& [ifindex, info] : live) live_ifindexes.insert(ifindex);
  std::vector<__u32> orphans;
  (void)attachments->maps().pod_stats.for_each(
      [&](const __u32& ifindex, const std::vector<tcpulse_pod_stats>&) {
        if (!live.count(ifindex)) orphans.push_back(ifindex);
      });
  for (__u32 ifindex : orphans)
    if (auto r = attachments->maps().pod_stats.erase(ifindex); r && r.value())
      report.orphan_counters++;
  report.orphan_counters += free_unused_slots(attachments->maps().pod_slots, live_ifindexes);

  // Flows: the datapath stamps them with CLOCK_MONOTONIC (at tick resolution).
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t now = static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + ts.tv_nsec;
  std::vector<FlowKey> expired;
  std::set<__u32> folded;
  (void)attachments->maps().flows.for_each(
      [&](const FlowKey& key, const tcpulse_flow_stats& flow) {
        auto pod = live.find(key.ifindex);
        if (pod == live.end()) {
          expired.push_back(key);  // a vanished pod's
          return;
        }
        if (!flow_is_pods(flow, pod->second)) {
          // A former pod's on a reused ifindex; unless it is being created this instant.
          if (flow.first_seen_ns) expired.push_back(key);
          return;
        }
        uint64_t last = flow_last_seen_ns(flow);
        uint64_t silent = now > last ? now - last : 0;
        bool closed = flow.state == TCPULSE_CONN_CLOSED;
        if (silent <= (closed ? options.closed_flow_ttl_ns : options.idle_flow_ttl_ns)) return;
        // The pod keeps what the flow counted. A packet racing the expiry of a flow this quiet
        // may go uncounted; a pod's counter never goes back.
        add_flow_traffic(pod->second.flow_base, flow);
        folded.insert(key.ifindex);
        expired.push_back(key);
      });
  // Bases first: an agent stopped between the two counts a flow twice rather than losing it.
  std::set<__u32> unwritten;
  for (__u32 ifindex : folded)
    if (auto r = attachments->maps().pods.put(ifindex, live.at(ifindex)); !r) {
      report.problems.push_back("keep expired flows' counts: " + r.error().describe());
      unwritten.insert(ifindex);
    }
  for (const auto& key : expired) {
    if (unwritten.count(key.ifindex)) continue;
    if (auto r = attachments->maps().flows.erase(key, now); r && r.value()) report.expired_flows++;
  }
  report.freed_flow_slots = attachments->maps().flows.free_retired(now);

  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(layout.links_dir(), ec)) {
    auto name = entry.path().filename().string();
    auto cut = name.rfind('_');
    if (cut == std::string::npos || recorded.count(name.substr(0, cut))) continue;
    auto link = read_pinned_link(entry.path());
    if (link && link.value() && link.value()->ifindex == 0) {
      if (unpin(entry.path())) report.unpinned_links++;
    }
  }
  return report;
}

}  // namespace tcpulse
