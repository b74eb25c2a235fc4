// Upgrades across an ABI change. The datapath of an older ABI lives in its own directory under
// the pin base (see PinLayout), and its programs stay attached to every pod it monitored, with
// its maps pinned, until someone removes them: after an upgrade each pod would run both versions'
// programs, and the old maps' memory would stay charged. The new agent moves those pods to its
// own datapath, then removes the old one.
#pragma once

#include <string>
#include <vector>

#include "tc-bpf/lib/pin_layout.h"

namespace tcpulse {

struct AbiUpgradeReport {
  int moved_pods = 0;        // attached to this datapath from an older one's records
  int retired_versions = 0;  // older datapaths removed (their links, programs and maps)
  std::vector<std::string> problems;  // one line each, for the log
};

// For every older ABI directory under current.base(): attaches each pod its records name whose
// veth still exists (records of an older layout that cannot be read are reported, and left to
// the CNI cache adoption), then removes the directory, which detaches the old programs. Newer
// versions' directories (a downgrade) are left alone. A pod is attached before the old programs
// leave it, so it is never unmonitored; its counters start again, in the new maps.
AbiUpgradeReport retire_older_datapaths(const PinLayout& current);

}  // namespace tcpulse
