#include "agent/pod_slots.h"

#include "tc-bpf/lib/pod_ledger.h"

namespace tcpulse {

int free_unused_slots(PodSlotsMap& slots, const std::set<__u32>& live_ifindexes) {
  std::set<__u32> in_use;
  for (__u32 ifindex : live_ifindexes) in_use.insert(pod_slot_index(ifindex));
  int freed = 0;
  for (__u32 index = 0; index < TCPULSE_POD_SLOTS; index++) {
    if (in_use.count(index)) continue;
    auto copies = slots.get(index);
    if (!copies || !copies.value()) continue;
    bool owned = false;
    for (const auto& slot : *copies.value()) owned |= slot.ifindex != 0;
    if (!owned) continue;
    std::vector<tcpulse_pod_slot> empty(copies.value()->size());
    if (slots.put(index, empty)) freed++;
  }
  return freed;
}

}  // namespace tcpulse
