#include "agent/host_pods.h"

#include <time.h>

#include <algorithm>
#include <optional>
#include <set>

#include "agent/cgroup_pods.h"
#include "agent/sandbox_metadata.h"
#include "tc-bpf/lib/pod_ledger.h"
#include "tc-bpf/lib/pod_record.h"

namespace tcpulse::agent {

namespace {

uint64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + ts.tv_nsec;
}

// Named by UID until its runtime's metadata is read: no namespace, the UID for a name.
bool named(const PodRecord& r) { return !r.pod_namespace.empty(); }

struct FoundPod {
  std::vector<uint64_t> cgroups;
  std::vector<std::string> containers;
};

}  // namespace

HostPods::HostPods(DatapathMaps& maps, HostPodsOptions options)
    : maps_(maps), options_(std::move(options)) {}

uint32_t HostPods::next_key() {
  // Never a key in use: they only grow (2^31 pods before they would wrap).
  if (last_key_ == UINT32_MAX) last_key_ = TCPULSE_HOST_FLOWS;
  return ++last_key_;
}

Result<HostPodsReport> HostPods::refresh() {
  HostPodsReport report;
  std::set<std::string> cni_uids;
  std::map<std::string, std::pair<__u32, PodRecord>> hosts;  // by UID
  auto walked = maps_.pods.for_each([&](const __u32& key, const tcpulse_pod_info& info) {
    PodRecord r = PodRecord::from_abi(info);
    if (tcpulse_is_host_pod_key(key)) {
      last_key_ = std::max(last_key_, key);
      std::string uid = r.pod_uid;  // the right of '=' is evaluated first: r would be moved from
      hosts[uid] = {key, std::move(r)};
    } else if (!r.pod_uid.empty()) {
      cni_uids.insert(r.pod_uid);
    }
  });
  if (!walked) return walked.error();
  std::set<__u32> accounts;
  walked = maps_.accounts.for_each([&](const __u32& key, const tcpulse_pod_account&) {
    if (!tcpulse_is_host_pod_key(key)) return;
    accounts.insert(key);
    last_key_ = std::max(last_key_, key);
  });
  if (!walked) return walked.error();
  std::map<__u64, __u32> mapped;
  walked = maps_.cgroups.for_each([&](const __u64& cgroup, const __u32& key) { mapped[cgroup] = key; });
  if (!walked) return walked.error();

  std::map<std::string, FoundPod> found;
  for (const auto& c : scan_kubepods(options_.cgroup_root)) {
    FoundPod& pod = found[c.path.pod_uid];
    pod.cgroups.push_back(c.cgroup_id);
    if (!c.path.container_id.empty()) pod.containers.push_back(c.path.container_id);
  }

  std::map<__u64, __u32> wanted;
  for (const auto& [uid, pod] : found) {
    if (cni_uids.count(uid)) continue;
    auto known = hosts.find(uid);
    std::optional<SandboxIdentity> identity;
    if (known == hosts.end() || !named(known->second.second))
      for (const auto& container : pod.containers) {
        identity = read_sandbox_identity(options_.runtime_state_dirs, container);
        if (identity && identity->pod_uid == uid) break;
        identity.reset();
      }
    __u32 key;
    if (known == hosts.end()) {
      key = next_key();
      PodRecord r;
      r.pod_uid = uid;
      r.pod_name = uid;
      r.host_network = true;
      r.added_unix_ns = realtime_ns();
      if (identity) {
        r.pod_namespace = identity->pod_namespace;
        r.pod_name = identity->pod_name;
        r.container_id = identity->sandbox_id;
      }
      // The account first: a record without one is not read (node_snapshot.h).
      if (auto w = maps_.accounts.put(key, open_pod_account(std::nullopt, false, {}, coarse_monotonic_ns())); !w)
        return w.error();
      if (auto w = maps_.pods.put(key, r.to_abi()); !w) return w.error();
      accounts.insert(key);
      hosts[uid] = {key, std::move(r)};  // uid is the loop's, not r's
      report.added++;
    } else {
      key = known->second.first;
      PodRecord& r = known->second.second;
      if (identity) {
        r.pod_namespace = identity->pod_namespace;
        r.pod_name = identity->pod_name;
        r.container_id = identity->sandbox_id;
        if (auto w = maps_.pods.put(key, r.to_abi()); !w) return w.error();
        report.renamed++;
      }
      if (!accounts.count(key)) {
        if (auto w = maps_.accounts.put(key, open_pod_account(std::nullopt, false, {}, coarse_monotonic_ns())); !w)
          return w.error();
        accounts.insert(key);
      }
    }
    for (uint64_t cgroup : pod.cgroups) wanted[cgroup] = key;
  }

  // The datapath stops naming a departed pod's flows before its record goes.
  for (const auto& [cgroup, key] : mapped) {
    auto want = wanted.find(cgroup);
    if (want == wanted.end() || want->second != key) (void)maps_.cgroups.erase(cgroup);
  }
  for (const auto& [cgroup, key] : wanted) {
    auto have = mapped.find(cgroup);
    if (have != mapped.end() && have->second == key) continue;
    if (auto w = maps_.cgroups.put(cgroup, key); !w) return w.error();
  }
  for (const auto& [uid, entry] : hosts) {
    if (found.count(uid) && !cni_uids.count(uid)) continue;
    (void)maps_.pods.erase(entry.first);
    (void)maps_.accounts.erase(entry.first);
    report.removed++;
  }
  report.pods = hosts.size() - report.removed;
  report.cgroups = wanted.size();
  return report;
}

}  // namespace tcpulse::agent
