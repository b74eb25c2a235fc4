// Upgrading the datapath under running pods. A pod's attachment keeps the programs it was given
// until someone replaces them, so a new agent must carry its pods over:
//  - within one ABI version (same map layouts, same pin directory), attachments whose programs
//    are other code than the ones the agent just loaded run the new ones from now on, atomically;
//  - across an ABI change, the older datapath lives in its own directory under the pin base (see
//    PinLayout), with its programs on every pod it monitored and its maps pinned: each pod it
//    recorded is attached to the new datapath, then the older one is removed, which detaches its
//    programs (without this, pods would run both versions' programs, and the old maps' memory
//    would stay charged).
#pragma once

#include <string>
#include <vector>

#include "tc-bpf/lib/pin_layout.h"

namespace tcpulse {

struct UpgradeReport {
  int refreshed = 0;         // attachments (one pod hook each) switched to the new programs
  int moved_pods = 0;        // attached to this datapath from an older one's records
  int retired_versions = 0;  // older datapaths removed (their links, programs and maps)
  std::vector<std::string> problems;  // one line each, for the log
};

// Both steps, for the datapath pinned at current. Older ABI records that this version cannot read
// are reported, and left to the CNI cache adoption; newer versions' directories (a downgrade) are
// left alone. A moved pod is attached before the old programs leave it, so it is never
// unmonitored; its counters start again, in the new maps.
UpgradeReport upgrade_attachments(const PinLayout& current);

}  // namespace tcpulse
