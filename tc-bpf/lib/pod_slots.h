// Pod slots: every packet's per-pod count, in a per-CPU array indexed by ifindex (see
// tcpulse_pod_slot in abi.h). Reading a pod's packets and bytes back, and freeing the slots of
// pods that are gone.
#pragma once

#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include "tc-bpf/lib/datapath_maps.h"

namespace tcpulse {

using SlotTraffic = std::array<tcpulse_traffic, TCPULSE_DIR_COUNT>;

inline __u32 pod_slot_index(uint32_t ifindex) { return ifindex % TCPULSE_POD_SLOTS; }

// What the copies of one slot that ifindex owns have counted, summed over CPUs.
SlotTraffic owned_slot_traffic(const std::vector<tcpulse_pod_slot>& per_cpu, uint32_t ifindex);

// Adds what a pod's slot copies counted since its record was written (owned less the record's
// base) to its totals, whose packets and bytes then cover every packet of the pod.
void add_slot_traffic(tcpulse_pod_stats& totals, const SlotTraffic& owned,
                      const tcpulse_traffic (&base)[TCPULSE_DIR_COUNT]);

// Frees every slot that no live pod can use: none of its copies' owners is live, and no live
// pod's ifindex maps to it (so no packet can claim a copy while it is rewritten). Call with the
// writers' lock held, so that no pod is added meanwhile. Returns how many slots it freed.
int free_unused_slots(PodSlotsMap& slots, const std::set<__u32>& live_ifindexes);

}  // namespace tcpulse
