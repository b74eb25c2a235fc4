#include "agent/status_view.h"

#include "tcpulse/abi.h"

namespace tcpulse::agent {

nlohmann::json status_json(const Collector& collector, const StatusInputs& in) {
  const NodeSnapshot& node = collector.node();
  size_t attached = 0, departed = 0;
  for (const auto& p : node.pods) (p.departed_ns ? departed : attached)++;
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& p : in.pending)
    pending.push_back({{"namespace", p.record.pod_namespace},
                       {"pod", p.record.pod_name},
                       {"container_id", p.record.container_id},
                       {"interface", p.record.ifname},
                       {"host_ifindex", p.host_ifindex}});
  nlohmann::json failures = nlohmann::json::array();
  for (const auto& f : in.attach_failures)
    failures.push_back({{"namespace", f.pod_namespace},
                        {"pod", f.pod_name},
                        {"container_id", f.container_id},
                        {"source", f.source},
                        {"error", f.error}});
  const CollectionStats& cs = collector.stats();
  return {{"version", TCPULSE_VERSION},
          {"abi", TCPULSE_ABI_VERSION},
          {"pin_dir", in.pin_dir},
          {"state_dir", in.state_dir},
          {"uptime_seconds", in.uptime_s},
          {"pods", {{"attached", attached}, {"departed", departed}}},
          {"connections", collector.connections().connections().size()},
          {"pending", std::move(pending)},
          {"attach_failures", std::move(failures)},
          {"collections",
           {{"succeeded", cs.collections},
            {"failed", cs.failures},
            {"last_failed", cs.last_failed},
            {"last_error", cs.last_error},
            {"last_duration_seconds", cs.last_duration_s}}},
          {"flow_table", {{"entries", node.flow_table.entries}, {"capacity", node.flow_table.capacity}}}};
}

}  // namespace tcpulse::agent
