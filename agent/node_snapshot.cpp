#include "agent/node_snapshot.h"

#include <map>

#include "tc-bpf/lib/pod_ledger.h"
#include "agent/pod_slots.h"

namespace tcpulse::agent {

bool flow_is_active(const tcpulse_flow_stats& flow) {
  return flow.state == TCPULSE_CONN_ESTABLISHED || flow.state == TCPULSE_CONN_MIDSTREAM;
}

namespace {

uint64_t map_capacity(int fd) {
  bpf_map_info info{};
  __u32 len = sizeof(info);
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.max_entries : 0;
}

}  // namespace

std::string_view error_reason_name(int reason) {
  switch (reason) {
    case TCPULSE_ERR_TRUNCATED_IP: return "truncated_ip";
    case TCPULSE_ERR_BAD_IP_HEADER: return "bad_ip_header";
    case TCPULSE_ERR_TRUNCATED_TCP: return "truncated_tcp";
    case TCPULSE_ERR_FLOW_INSERT: return "flow_insert_failed";
    case TCPULSE_ERR_POD_MAP_FULL: return "pod_map_full";
    case TCPULSE_ERR_BAD_TCP_OPTION: return "bad_tcp_option";
  }
  return "unknown";
}

Result<NodeSnapshot> read_snapshot(const DatapathMaps& maps, const FlowVisitor& on_flow,
                                   const PodsVisitor& on_pods) {
  NodeSnapshot snap;
  std::map<uint32_t, tcpulse_pod_stats> events;
  auto r = maps.pod_stats.for_each(
      [&](const __u32& ifindex, const std::vector<tcpulse_pod_stats>& per_cpu) {
        events[ifindex] = sum_pod_stats(per_cpu);
      });
  if (!r) return r.error();
  std::map<uint32_t, tcpulse_pod_account> accounts;
  r = maps.accounts.for_each([&](const __u32& ifindex, const tcpulse_pod_account& account) {
    accounts[ifindex] = account;
  });
  if (!r) return r.error();

  r = maps.pods.for_each([&](const __u32& ifindex, const tcpulse_pod_info& info) {
    // A record written this instant, its account not yet: shown at the next read.
    auto account = accounts.find(ifindex);
    if (account == accounts.end()) return;
    PodSnapshot pod;
    pod.ifindex = ifindex;
    pod.record = PodRecord::from_abi(info);
    pod.account = account->second;
    snap.pods.push_back(std::move(pod));
  });
  if (!r) return r.error();
  std::map<uint32_t, PodSnapshot*> by_ifindex;
  for (auto& pod : snap.pods) {
    by_ifindex[pod.ifindex] = &pod;
    auto slot = maps.pod_slots.get(pod_slot_index(pod.ifindex));
    if (!slot) return slot.error();
    SlotTraffic owned = slot.value() ? owned_slot_traffic(*slot.value(), pod.ifindex) : SlotTraffic{};
    auto pod_events = events.find(pod.ifindex);
    pod.stats = pod_totals(pod.account,
                           pod_events == events.end() ? tcpulse_pod_stats{} : pod_events->second, owned);
  }

  if (on_pods) on_pods(snap.pods);

  snap.flow_table.capacity = maps.flows.slots.size();
  snap.overflow4.capacity = map_capacity(maps.flows.v4.fd());
  snap.overflow6.capacity = map_capacity(maps.flows.v6.fd());
  r = maps.flows.for_each([&](const FlowKey& key, const tcpulse_flow_stats& stats, FlowTables::Table table) {
    (table == FlowTables::Table::Slots       ? snap.flow_table
     : table == FlowTables::Table::Overflow4 ? snap.overflow4
                                             : snap.overflow6).entries++;
    auto it = by_ifindex.find(flow_owner(key.ifindex, stats));
    const PodSnapshot* pod = nullptr;
    if (it != by_ifindex.end() && flow_is_pods(stats, it->second->account)) {
      pod = it->second;
      add_live_flow(it->second->stats, stats);
      if (flow_is_active(stats)) it->second->active_connections++;
    }
    if (on_flow) on_flow(key, stats, pod);
  });
  if (!r) return r.error();

  // A host-network candidate shows once its sockets have had traffic on an uplink (host_pods.h).
  std::erase_if(snap.pods, [](const PodSnapshot& p) {
    return p.record.host_network && p.active_connections == 0 &&
           p.stats.dir[TCPULSE_DIR_EGRESS].packets + p.stats.dir[TCPULSE_DIR_INGRESS].packets == 0;
  });

  for (int reason = 0; reason < TCPULSE_ERR_COUNT; reason++) {
    auto per_cpu = maps.errors.get(static_cast<__u32>(reason));
    if (!per_cpu) return per_cpu.error();
    if (per_cpu.value())
      for (uint64_t v : *per_cpu.value()) snap.errors[reason] += v;
  }

  return snap;
}

}  // namespace tcpulse::agent
