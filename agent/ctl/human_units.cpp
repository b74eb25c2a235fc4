#include "agent/ctl/human_units.h"

#include <cstdio>

namespace tcpulse::ctl {
namespace {

std::string printf_string(const char* fmt, double v, const char* unit) {
  char buf[32];
  std::snprintf(buf, sizeof buf, fmt, v, unit);
  return buf;
}

}  // namespace

std::string bytes_per_s(double v) {
  if (v < 1) return "0";
  const char* units[] = {"B/s", "kB/s", "MB/s", "GB/s"};
  int u = 0;
  while (v >= 1000 && u < 3) {
    v /= 1000;
    ++u;
  }
  return printf_string(u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
}

std::string duration_s(double v) {
  if (v < 0) return "-";
  if (v < 1e-3) return printf_string("%.0f %s", v * 1e6, "us");
  if (v < 1) return printf_string("%.1f %s", v * 1e3, "ms");
  return printf_string("%.2f %s", v, "s");
}

std::string percent(double ratio) {
  if (ratio <= 0) return "0";
  return printf_string(ratio < 0.001 ? "%.3f%s" : "%.2f%s", ratio * 100, "%");
}

std::string per_s(double v) {
  if (v <= 0) return "0";
  return printf_string(v < 10 ? "%.1f%s" : "%.0f%s", v, "");
}

}  // namespace tcpulse::ctl
