#include "agent/datapath_maps.h"

#include <cstring>

#include "tc-bpf/lib/bpffs.h"

namespace tcpulse {

Result<void> FlowTables::for_each(
    const std::function<void(const FlowKey&, const tcpulse_flow_stats&, Table)>& fn) const {
  auto r = slots.for_each([&](const FlowKey& k, const tcpulse_flow_stats& s) { fn(k, s, Table::Slots); });
  if (!r) return r;
  r = v4.for_each_batch([&](const tcpulse_flow4_key& k, const tcpulse_flow_stats& s) {
    fn(to_flow_key(k), s, Table::Overflow4);
  });
  if (!r) return r;
  return v6.for_each_batch([&](const tcpulse_flow6_key& k, const tcpulse_flow_stats& s) {
    fn(to_flow_key(k), s, Table::Overflow6);
  });
}

Result<void> FlowTables::for_each(
    const std::function<void(const FlowKey&, const tcpulse_flow_stats&)>& fn) const {
  return for_each([&](const FlowKey& k, const tcpulse_flow_stats& s, Table) { fn(k, s); });
}

Result<std::optional<tcpulse_flow_stats>> FlowTables::get(const FlowKey& key) const {
  if (auto in_slot = slots.get(key)) return in_slot;
  if (key.family == TCPULSE_AF_INET) return v4.get(to_flow4_key(key));
  return v6.get(to_flow6_key(key));
}

Result<bool> FlowTables::erase(const FlowKey& key, uint64_t now_ns) {
  if (slots.retire(key, now_ns)) return true;
  if (key.family == TCPULSE_AF_INET) return v4.erase(to_flow4_key(key));
  return v6.erase(to_flow6_key(key));
}

Result<FlowTables> FlowTables::open(const PinLayout& layout) {
  auto flowtab = open_pinned(layout.map(kFlowTableMap));
  if (!flowtab) return flowtab.error();
  auto slots = FlowSlots::adopt(std::move(flowtab).value(), std::string(kFlowTableMap));
  if (!slots) return slots.error();
  auto flows4 = open_pinned_map<Flow4Map>(layout, kFlows4Map);
  if (!flows4) return flows4.error();
  auto flows6 = open_pinned_map<Flow6Map>(layout, kFlows6Map);
  if (!flows6) return flows6.error();
  return FlowTables{std::move(slots).value(), std::move(flows4).value(), std::move(flows6).value()};
}

Result<DatapathMaps> DatapathMaps::open(const PinLayout& layout) {
  auto pods = PodMaps::open(layout);
  if (!pods) return pods.error();
  auto flows = FlowTables::open(layout);
  if (!flows) return flows.error();
  auto errors = open_pinned_map<ErrorMap>(layout, kErrorsMap);
  if (!errors) return errors.error();
  auto cgroups = open_pinned_map<CgroupMap>(layout, kCgroupsMap);
  if (!cgroups) return cgroups.error();
  return DatapathMaps{std::move(flows).value(), std::move(pods->pods), std::move(pods->accounts),
                      std::move(pods->pod_stats), std::move(pods->pod_slots),
                      std::move(errors).value(), std::move(cgroups).value()};
}

}  // namespace tcpulse
