// The agent's own resource use, from /proc/self, for the standard process_* metrics.
#pragma once

#include <cstdint>

namespace tcpulse::agent {

struct ProcessStats {
  uint64_t resident_bytes = 0;
  double cpu_seconds = 0;       // user + system
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;         // RLIMIT_NOFILE (soft)
  double start_time_seconds = 0;  // since the epoch
};

ProcessStats read_process_stats();

}  // namespace tcpulse::agent
