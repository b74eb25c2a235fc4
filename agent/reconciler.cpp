#include "agent/reconciler.h"

#include <time.h>

#include <algorithm>
#include <map>
#include <set>

#include "tc-bpf/lib/bpffs.h"
#include "agent/cni_cache.h"
#include "tc-bpf/lib/host_veth.h"
#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/pending_pods.h"
#include "tc-bpf/lib/pod_attachment.h"
#include "tc-bpf/lib/pod_ledger.h"
#include "agent/datapath_maps.h"
#include "agent/pod_slots.h"

namespace tcpulse {

namespace {

void step_failed(ReconcileReport& report, const char* step, const Error& error) {
  report.failed_steps.push_back(step);
  report.problems.push_back(std::string(step) + " skipped: " + error.describe());
}

}  // namespace

ReconcileReport reconcile(const PinLayout& layout, const ReconcileOptions& options) {
  auto attachments = PodAttachments::open(layout);
  if (!attachments) {
    ReconcileReport report;
    report.problems.push_back("datapath not open: " + attachments.error().describe());
    return report;
  }
  auto flows = FlowTables::open(layout);
  if (!flows) {
    ReconcileReport report;
    report.problems.push_back("flow table not open: " + flows.error().describe());
    return report;
  }
  return reconcile(layout, attachments.value(), flows.value(), options);
}

ReconcileReport reconcile(const PinLayout& layout, PodAttachments& attachments, FlowTables& flows,
                          const ReconcileOptions& options) {
  const auto& state_dir = options.state_dir;
  const auto& cni_cache_dir = options.cni_cache_dir;
  ReconcileReport report;
  auto& maps = attachments.maps();

  report.swept_temp_files = sweep_pending_temp_files(state_dir);
  for (const auto& pod : list_pending(state_dir)) {
    const auto& r = pod.record;
    if (veth_exists(pod.host_ifindex)) {
      auto mode = attachments.attach(pod.host_ifindex, r, AttachMode::Auto);
      if (!mode) {
        report.problems.push_back("attach queued " + r.pod_namespace + "/" + r.pod_name + ": " +
                                  mode.error().describe());
        report.attach_failures++;
        report.failed_attachments.push_back(
            {r.pod_namespace, r.pod_name, r.container_id, "queued", mode.error().describe()});
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
    auto walked = maps.pods.for_each([&](const __u32&, const tcpulse_pod_info& info) {
      PodRecord rec = PodRecord::from_abi(info);
      known.emplace(rec.container_id, rec.ifname);
    });
    if (!walked) {
      step_failed(report, "adopt", walked.error());
    } else {
      for (const auto& cached : read_cni_cache(cni_cache_dir)) {
        const auto& a = cached.attachment;
        if (known.count({a.container_id, a.ifname})) continue;
        if (PodRecord::unrecordable(a.container_id, a.ifname)) continue;  // the plugin passed it by
        auto veth = find_host_veth(cached.netns, a.ifname);
        if (!veth || !veth->host) continue;  // sandbox gone, or not a veth: nothing to watch
        PodRecord record = pod_identity(a, veth->netns_ino, &cached.result);
        auto mode = attachments.attach(veth->host->ifindex, record, AttachMode::Auto);
        if (mode) report.adopted++;
        else {
          report.problems.push_back("adopt " + record.pod_name + ": " + mode.error().describe());
          report.attach_failures++;
          report.failed_attachments.push_back(
              {record.pod_namespace, record.pod_name, record.container_id, "cache", mode.error().describe()});
        }
      }
    }
  }

  std::vector<PodRecord> vanished;
  std::set<std::string> recorded;
  auto walked = maps.pods.for_each([&](const __u32& ifindex, const tcpulse_pod_info& info) {
    if (tcpulse_is_host_pod_key(ifindex)) return;  // no veth: the agent's HostPods keeps them
    PodRecord rec = PodRecord::from_abi(info);
    if (veth_exists(static_cast<int>(ifindex)))
      recorded.insert(attachment_name(rec.container_id, rec.ifname));
    else
      vanished.push_back(std::move(rec));
  });
  if (!walked) {
    // Without every record, a link pin or a pod could be taken for nobody's.
    step_failed(report, "collect", walked.error());
    return report;
  }
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
  std::set<__u32> live;
  walked = maps.pods.for_each([&](const __u32& ifindex, const tcpulse_pod_info&) { live.insert(ifindex); });
  std::map<__u32, tcpulse_pod_account> accounts;
  if (walked)
    walked = maps.accounts.for_each([&](const __u32& ifindex, const tcpulse_pod_account& account) {
      accounts.emplace(ifindex, account);
    });
  if (!walked) {
    // Every pod would look like an orphan: its counters erased, its slot freed, its flows
    // expired without their counts kept. Nothing of the kind on a partial read.
    step_failed(report, "sweep", walked.error());
    return report;
  }
  std::vector<__u32> orphans;
  walked = maps.pod_stats.for_each(
      [&](const __u32& ifindex, const std::vector<tcpulse_pod_stats>&) {
        if (!live.count(ifindex)) orphans.push_back(ifindex);
      });
  if (walked) {
    for (__u32 ifindex : orphans)
      if (auto r = maps.pod_stats.erase(ifindex); r && r.value()) report.orphan_counters++;
    for (const auto& [ifindex, account] : accounts)
      if (!live.count(ifindex))
        if (auto r = maps.accounts.erase(ifindex); r && r.value()) report.orphan_counters++;
    report.orphan_counters += free_unused_slots(maps.pod_slots, live);
  } else {
    step_failed(report, "sweep", walked.error());
  }

  // Flows: the datapath stamps them with CLOCK_MONOTONIC (at tick resolution).
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t now = static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + ts.tv_nsec;
  struct Expiring {
    FlowKey key;
    tcpulse_flow_stats flow;
    FlowExpiry why;
    __u32 owner;  // flow_owner
  };
  std::vector<Expiring> expired;
  std::set<__u32> folded;
  walked = flows.for_each([&](const FlowKey& key, const tcpulse_flow_stats& flow) {
    __u32 owner = flow_owner(key.ifindex, flow);
    if (key.ifindex == TCPULSE_HOST_FLOWS && !tcpulse_is_host_pod_key(owner)) {
      // A host socket's flow that is nobody's (its cgroup is no pod's), or that no packet sent
      // has named within the closed-flow TTL (a SYN to a host listener never answered).
      uint64_t age = flow.first_seen_ns && now > flow.first_seen_ns ? now - flow.first_seen_ns : 0;
      if (owner == TCPULSE_HOST_FLOWS || age > options.closed_flow_ttl_ns)
        expired.push_back({key, flow, FlowExpiry::PodGone, owner});
      return;
    }
    auto pod = accounts.find(owner);
    if (!live.count(owner) || pod == accounts.end()) {
      expired.push_back({key, flow, FlowExpiry::PodGone, owner});  // a vanished pod's
      return;
    }
    if (!flow_is_pods(flow, pod->second)) {
      // A former pod's on a reused ifindex; unless it is being created this instant.
      if (flow.first_seen_ns) expired.push_back({key, flow, FlowExpiry::PodGone, owner});
      return;
    }
    uint64_t last = flow_last_seen_ns(flow);
    uint64_t silent = now > last ? now - last : 0;
    bool closed = flow.state == TCPULSE_CONN_CLOSED;
    if (silent <= (closed ? options.closed_flow_ttl_ns : options.idle_flow_ttl_ns)) return;
    // The pod keeps what the flow counted. A packet racing the expiry of a flow this quiet
    // may go uncounted; a pod's counter never goes back.
    fold_expired_flow(pod->second, flow);
    folded.insert(owner);
    expired.push_back({key, flow, closed ? FlowExpiry::Closed : FlowExpiry::Idle, owner});
  });
  if (!walked) {
    step_failed(report, "expire", walked.error());
    return report;
  }
  // Accounts first: an agent stopped between the two counts a flow twice rather than losing it.
  std::set<__u32> unwritten;
  for (__u32 ifindex : folded)
    if (auto r = maps.accounts.put(ifindex, accounts.at(ifindex)); !r) {
      report.problems.push_back("keep expired flows' counts: " + r.error().describe());
      unwritten.insert(ifindex);
    }
  for (const auto& e : expired) {
    if (unwritten.count(e.owner)) continue;
    if (options.on_expire) options.on_expire(e.key, e.flow, e.why);
    if (auto r = flows.erase(e.key, now); r && r.value()) {
      report.expired_flows++;
      (e.why == FlowExpiry::Closed ? report.expired_closed
       : e.why == FlowExpiry::Idle ? report.expired_idle
                                   : report.expired_pod_gone)++;
    }
  }
  report.freed_flow_slots = flows.free_retired(now);

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
