#include "agent/process_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace tcpulse::agent {

namespace {

// The boot time (btime in /proc/stat): process start times are ticks after it.
double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

}  // namespace

ProcessStats read_process_stats() {
  ProcessStats out;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    // Fields after the command name, which may hold spaces and parentheses: cut at the last ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    uint64_t utime = 0, stime = 0, start = 0, rss_pages = 0;
    for (int i = 3; rest >> field; i++) {
      if (i == 14) utime = std::stoull(field);
      else if (i == 15) stime = std::stoull(field);
      else if (i == 22) start = std::stoull(field);
      else if (i == 24) {
        rss_pages = std::stoull(field);
        break;
      }
    }
    out.cpu_seconds = static_cast<double>(utime + stime) / ticks;
    out.start_time_seconds = boot_time_seconds() + static_cast<double>(start) / ticks;
    out.resident_bytes = rss_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    out.open_fds++;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) out.max_fds = limit.rlim_cur;
  return out;
}

}  // namespace tcpulse::agent
