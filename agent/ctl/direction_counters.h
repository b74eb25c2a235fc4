// One direction's counters as /pods and /flows both write them, and the difference of two reads
// of a counter (one that went down, a restarted datapath, counts from zero): the pieces that the
// pod and connection rows share.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace tcpulse::ctl {

enum Direction { kEgress = 0, kIngress = 1 };

struct DirectionCounters {
  uint64_t bytes = 0, packets = 0, retransmitted = 0, resets = 0, zero_windows = 0;
};

inline DirectionCounters direction_counters(const nlohmann::json& d) {
  return {d.value("bytes", uint64_t{0}), d.value("packets", uint64_t{0}), d.value("retransmitted_segments", uint64_t{0}),
          d.value("resets", uint64_t{0}), d.value("zero_window_segments", uint64_t{0})};
}

inline uint64_t counter_delta(uint64_t now, uint64_t before) { return now >= before ? now - before : now; }

// Of the segments sent between two reads, the share that repeated data (0 if none were sent).
inline double retransmission_ratio(const DirectionCounters& now, const DirectionCounters& before) {
  uint64_t sent = counter_delta(now.packets, before.packets);
  return sent ? static_cast<double>(counter_delta(now.retransmitted, before.retransmitted)) / static_cast<double>(sent) : 0;
}

}  // namespace tcpulse::ctl
