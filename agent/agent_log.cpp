#include "agent/agent_log.h"

#include <time.h>

#include <cstdio>

#include "agent/connection_record.h"
#include "tc-bpf/lib/utf8_text.h"

namespace tcpulse::agent {

namespace {

LogLevel threshold = LogLevel::Info;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "info";
}

}  // namespace

void set_log_level(LogLevel level) { threshold = level; }

bool log_enabled(LogLevel level) { return level >= threshold; }

void log_line(LogLevel level, const std::string& message) {
  if (!log_enabled(level)) return;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::string when = rfc3339_ns(static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + ts.tv_nsec);
  // One write per line: lines of the agent and of libbpf never interleave mid-line.
  std::string line = when + " " + level_name(level) + " tcpulse-agent: " + valid_utf8(message) + "\n";
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

}  // namespace tcpulse::agent
