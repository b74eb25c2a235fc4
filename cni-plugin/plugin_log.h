// PluginLog: the plugin's log lines, on stderr (stdout is the CNI result) and optionally appended
// to a file, filtered by level.
#pragma once

#include <string>

namespace tcpulse::cni {

class PluginLog {
 public:
  enum Level { kDebug, kInfo, kWarn, kError };
  PluginLog(const std::string& level, std::string file);

  void debug(const std::string& msg) const { write(kDebug, msg); }
  void info(const std::string& msg) const { write(kInfo, msg); }
  void warn(const std::string& msg) const { write(kWarn, msg); }
  void error(const std::string& msg) const { write(kError, msg); }

 private:
  void write(Level level, const std::string& msg) const;
  Level min_;
  std::string file_;
};

}  // namespace tcpulse::cni
