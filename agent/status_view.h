// /status: the agent's own state for people on call (tcpulsectl status) — its version and
// datapath ABI, how many pods it watches, which pods wait in the plugin's queue, which it could
// not attach and why, and whether its scans of the datapath succeed.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/collector.h"
#include "agent/reconciler.h"
#include "tc-bpf/lib/pending_pods.h"

namespace tcpulse::agent {

struct StatusInputs {
  std::string pin_dir, state_dir;
  double uptime_s = 0;
  std::vector<AttachFailure> attach_failures;  // the last reconciliation's
  std::vector<PendingPod> pending;             // the queue as it is now
};

nlohmann::json status_json(const Collector& collector, const StatusInputs& in);

}  // namespace tcpulse::agent
