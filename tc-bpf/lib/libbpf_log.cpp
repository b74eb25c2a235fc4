#include "tc-bpf/lib/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>

namespace tcpulse {

namespace {

std::function<void(LibbpfLevel, const std::string&)>& sink() {
  static std::function<void(LibbpfLevel, const std::string&)> s;
  return s;
}

int forward(enum libbpf_print_level level, const char* format, va_list args) {
  if (!sink()) return 0;
  char line[1024];
  int n = std::vsnprintf(line, sizeof(line), format, args);
  std::string text(line, n > 0 ? std::min<size_t>(n, sizeof(line) - 1) : 0);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  sink()(level == LIBBPF_WARN ? LibbpfLevel::Warn
         : level == LIBBPF_INFO ? LibbpfLevel::Info : LibbpfLevel::Debug,
         text);
  return n;
}

}  // namespace

void set_libbpf_log(std::function<void(LibbpfLevel, const std::string&)> s) {
  sink() = std::move(s);
  libbpf_set_print(forward);
}

}  // namespace tcpulse
