#include "tc-bpf/lib/pod_slots.h"

namespace tcpulse {

SlotTraffic owned_slot_traffic(const std::vector<tcpulse_pod_slot>& per_cpu, uint32_t ifindex) {
  SlotTraffic sum{};
  for (const auto& slot : per_cpu) {
    if (slot.ifindex != ifindex) continue;
    for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
      sum[d].packets += slot.dir[d].packets;
      sum[d].bytes += slot.dir[d].bytes;
    }
  }
  return sum;
}

void add_slot_traffic(tcpulse_pod_stats& totals, const SlotTraffic& owned,
                      const tcpulse_traffic (&base)[TCPULSE_DIR_COUNT]) {
  // A copy only goes back to zero once no pod can use it, so owned >= base; clamped all the
  // same, so that a counter can never wrap to 2^64.
  auto less = [](__u64 a, __u64 b) { return a > b ? a - b : 0; };
  for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
    totals.dir[d].packets += less(owned[d].packets, base[d].packets);
    totals.dir[d].bytes += less(owned[d].bytes, base[d].bytes);
  }
}

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
