#include "tc-bpf/lib/pod_ledger.h"

#include <time.h>

namespace tcpulse {

namespace {

void add(tcpulse_traffic (&into)[TCPULSE_DIR_COUNT], int dir, __u64 packets, __u64 bytes) {
  into[dir].packets += packets;
  into[dir].bytes += bytes;
}

}  // namespace

uint64_t coarse_monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + ts.tv_nsec;
}

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

tcpulse_pod_account open_pod_account(const std::optional<tcpulse_pod_account>& existing,
                                     bool same_attachment, const SlotTraffic& slot_now,
                                     uint64_t now_coarse_ns) {
  if (existing && same_attachment) return *existing;
  tcpulse_pod_account account{};
  account.attached_ns = now_coarse_ns;
  for (int d = 0; d < TCPULSE_DIR_COUNT; d++) account.slot_base[d] = slot_now[d];
  return account;
}

void fold_expired_flow(tcpulse_pod_account& account, const tcpulse_flow_stats& flow) {
  for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
    const tcpulse_flow_dir* dir = tcpulse_flow_dir_of(&flow, d);
    add(account.flow_base, d, dir->packets, dir->bytes);
  }
}

tcpulse_pod_stats pod_totals(const tcpulse_pod_account& account, const tcpulse_pod_stats& events,
                             const SlotTraffic& slot_owned) {
  tcpulse_pod_stats totals = events;
  // A copy only goes back to zero once no pod can use it, so owned >= base; clamped all the
  // same, so that a counter can never wrap to 2^64.
  auto less = [](__u64 a, __u64 b) { return a > b ? a - b : 0; };
  for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
    totals.dir[d].packets += less(slot_owned[d].packets, account.slot_base[d].packets) +
                             account.flow_base[d].packets;
    totals.dir[d].bytes += less(slot_owned[d].bytes, account.slot_base[d].bytes) +
                           account.flow_base[d].bytes;
  }
  return totals;
}

void add_live_flow(tcpulse_pod_stats& totals, const tcpulse_flow_stats& flow) {
  for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
    const tcpulse_flow_dir* dir = tcpulse_flow_dir_of(&flow, d);
    totals.dir[d].packets += dir->packets;
    totals.dir[d].bytes += dir->bytes;
  }
}

}  // namespace tcpulse
