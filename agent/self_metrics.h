// The agent's metrics about itself: build, process resources (the standard process_* names),
// collections, the flow table's occupancy, flow expiry, connection records, and what failed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include "agent/collector.h"
#include "agent/connection_log.h"
#include "agent/process_stats.h"
#include "agent/uplink_hooks.h"

namespace tcpulse::agent {

// What the agent's main loop counts between collections.
struct AgentCounters {
  std::map<std::string, uint64_t> errors;   // tcpulse_agent_errors_total{op}
  std::map<std::string, uint64_t> expired;  // tcpulse_flows_expired_total{reason}
  uint64_t requested_flow_slots = 0;        // what --flows-max asks for (pins may keep another)
  std::vector<UplinkStatus> uplinks;        // tcpulse_uplink_info, tcpulse_uplink_xdp_fallbacks_total
  uint64_t host_pods = 0;                   // host-network pod candidates in the maps
};

// log: the connection log, or nullptr when it is off (its series are then at zero).
std::vector<prometheus::MetricFamily> self_metric_families(const Collector& collector,
                                                           const ConnectionLog* log,
                                                           const AgentCounters& counters,
                                                           const ProcessStats& process);

}  // namespace tcpulse::agent
