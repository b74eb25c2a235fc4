#include "cni-plugin/plugin_log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "tc-bpf/lib/utf8_text.h"

namespace tcpulse::cni {

PluginLog::PluginLog(const std::string& level, std::string file) : file_(std::move(file)) {
  min_ = level == "debug" ? kDebug : level == "warn" ? kWarn : level == "error" ? kError : kInfo;
}

void PluginLog::write(Level level, const std::string& msg) const {
  if (level < min_) return;
  static const char* names[] = {"debug", "info", "warn", "error"};
  // Messages quote names the runtime sent; log collectors expect UTF-8 lines.
  std::string line = "tcpulse[" + std::to_string(::getpid()) + "] " + names[level] + ": " +
                     valid_utf8(msg) + "\n";
  std::fputs(line.c_str(), stderr);
  if (!file_.empty()) {
    if (FILE* f = std::fopen(file_.c_str(), "ae")) {
      auto now = std::chrono::system_clock::now().time_since_epoch();
      std::fprintf(f, "%.3f %s",
                   std::chrono::duration<double>(now).count(), line.c_str());
      std::fclose(f);
    }
  }
}

}  // namespace tcpulse::cni
