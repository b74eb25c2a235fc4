// The agent's log: one line per event on stderr, with a UTC timestamp and a level, below the
// configured level nothing. Routine results (flows expired, pods adopted) are debug; what an
// operator should see (a pod that could not be attached, a failed step) is warn.
#pragma once

#include <string>

#include "agent/agent_options.h"

namespace tcpulse::agent {

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log_line(LogLevel level, const std::string& message);

inline void log_debug(const std::string& m) { log_line(LogLevel::Debug, m); }
inline void log_info(const std::string& m) { log_line(LogLevel::Info, m); }
inline void log_warn(const std::string& m) { log_line(LogLevel::Warn, m); }
inline void log_error(const std::string& m) { log_line(LogLevel::Error, m); }

}  // namespace tcpulse::agent
