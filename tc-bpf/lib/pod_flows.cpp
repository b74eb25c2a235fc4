#include "tc-bpf/lib/pod_flows.h"

#include <time.h>

namespace tcpulse {

uint64_t coarse_monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + ts.tv_nsec;
}

void add_flow_traffic(tcpulse_traffic (&traffic)[TCPULSE_DIR_COUNT], const tcpulse_flow_stats& flow) {
  for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
    const tcpulse_flow_dir* dir = tcpulse_flow_dir_of(&flow, d);
    traffic[d].packets += dir->packets;
    traffic[d].bytes += dir->bytes;
  }
}

void add_traffic(tcpulse_pod_stats& totals, const tcpulse_traffic (&traffic)[TCPULSE_DIR_COUNT]) {
  for (int d = 0; d < TCPULSE_DIR_COUNT; d++) {
    totals.dir[d].packets += traffic[d].packets;
    totals.dir[d].bytes += traffic[d].bytes;
  }
}

}  // namespace tcpulse
