// Reconciliation: makes the node's attachments match its pods. Run by the agent at start and
// periodically:
//  - attaches pods the CNI plugin queued while the datapath was not loaded (or failed open);
//  - adopts pods that libcni's result cache knows but no record does: pods created before tcpulse
//    was installed (or by a conflist without it);
//  - forgets records, links and counters of pod veths that no longer exist (a DEL that never
//    arrived, a node that lost its runtime state);
//  - unpins tcx links whose device is gone and that no record names.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/result.h"

namespace tcpulse {

struct ReconcileReport {
  int attached = 0;          // pending pods attached now
  int dropped_pending = 0;   // pending pods whose veth is gone
  int adopted = 0;           // pods attached from libcni's result cache
  int collected = 0;         // records of vanished veths removed
  int unpinned_links = 0;    // defunct link pins without a record removed
  int orphan_counters = 0;   // per-pod counters without a record removed
  std::vector<std::string> problems;  // one line each, for the log
};

// cni_cache_dir: libcni's result cache to adopt pods from; empty to adopt none.
ReconcileReport reconcile(const PinLayout& layout, const std::filesystem::path& state_dir,
                          const std::filesystem::path& cni_cache_dir);

}  // namespace tcpulse
