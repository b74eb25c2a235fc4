// Pod slots: the per-pod count of packets without a flow, in a per-CPU array indexed by ifindex
// (see tcpulse_pod_slot in abi.h). The agent frees the slots of pods that are gone; what a slot's
// copies mean for a pod's totals is the pod ledger's (tc-bpf/lib/pod_ledger.h).
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "agent/datapath_maps.h"

namespace tcpulse {

// Frees every slot that no live pod can use: none of its copies' owners is live, and no live
// pod's ifindex maps to it (so no packet can claim a copy while it is rewritten). Call with the
// writers' lock held, so that no pod is added meanwhile. Returns how many slots it freed.
int free_unused_slots(PodSlotsMap& slots, const std::set<__u32>& live_ifindexes);

}  // namespace tcpulse
