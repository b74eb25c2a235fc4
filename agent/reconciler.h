// Reconciliation: makes the node's attachments match its pods. Run by the agent at start and
// periodically:
//  - attaches pods the CNI plugin queued while the datapath was not loaded (or failed open);
//  - adopts pods that libcni's result cache knows but no record does: pods created before tcpulse
//    was installed (or by a conflist without it);
//  - forgets records, links and counters of pod veths that no longer exist (a DEL that never
//    arrived, a node that lost its runtime state);
//  - unpins tcx links whose device is gone and that no record names;
//  - expires flows closed (or silent) for longer than a TTL, keeping their counts in their pod's
//    account (pod_ledger.h), and flows of pods no longer recorded, so the flow table's slots and
//    overflow hashes go to live connections; frees the slots retired a grace period ago.
// A map walk that fails aborts every step that needed it: nothing is erased, collected or
// expired on the strength of a partial read. Each failure is reported by the step's name.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "tc-bpf/lib/flow_key.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/result.h"

namespace tcpulse {

// A pod the agent could not attach, and why (for /status and tcpulsectl status).
struct AttachFailure {
  std::string pod_namespace, pod_name, container_id;
  std::string source;  // "queued" (by the plugin) or "cache" (adopting from libcni's cache)
  std::string error;
};

struct ReconcileReport {
  int attached = 0;          // pending pods attached now
  int dropped_pending = 0;   // pending pods whose veth is gone
  int adopted = 0;           // pods attached from libcni's result cache
  int collected = 0;         // records of vanished veths removed
  int unpinned_links = 0;    // defunct link pins without a record removed
  int orphan_counters = 0;   // per-pod counters without a record removed
  int expired_flows = 0;     // closed or idle flows past their TTL, or of vanished pods, removed
  int expired_closed = 0, expired_idle = 0, expired_pod_gone = 0;  // the same, by reason
  int attach_failures = 0;   // queued or cached pods that could not be attached
  std::vector<AttachFailure> failed_attachments;  // the same, each with why
  int freed_flow_slots = 0;  // flow table slots retired a grace period ago, now free
  int swept_temp_files = 0;  // stale temp files in the pending queue removed
  std::vector<std::string> problems;  // one line each, for the log
  // Steps aborted because a map walk failed, by name ("adopt", "collect", "sweep", "expire"):
  // the agent counts them in tcpulse_agent_errors_total{op}.
  std::vector<std::string> failed_steps;
};

// Why a flow is removed from the table.
enum class FlowExpiry { Closed, Idle, PodGone };

struct ReconcileOptions {
  std::filesystem::path state_dir;      // the plugin's pending queue
  std::filesystem::path cni_cache_dir;  // libcni's result cache to adopt pods from; empty: none
  uint64_t closed_flow_ttl_ns = 60ULL * 1000 * 1000 * 1000;
  uint64_t idle_flow_ttl_ns = 3600ULL * 1000 * 1000 * 1000;
  // Called right before each flow is removed, with what it counted last: the agent writes its
  // connection's close record then, so that no connection leaves the table unrecorded.
  std::function<void(const FlowKey&, const tcpulse_flow_stats&, FlowExpiry)> on_expire;
};

ReconcileReport reconcile(const PinLayout& layout, const ReconcileOptions& options);

class PodAttachments;
struct FlowTables;
// The same on an open datapath (tests hand it maps whose walks fail).
ReconcileReport reconcile(const PinLayout& layout, PodAttachments& attachments, FlowTables& flows,
                          const ReconcileOptions& options);

}  // namespace tcpulse
