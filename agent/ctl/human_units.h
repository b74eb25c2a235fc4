// Figures for people: byte rates (1.2 MB/s), durations (240 us, 12.3 ms), ratios (0.12%),
// per-second rates; a dash where there is nothing to show.
#pragma once

#include <string>

namespace tcpulse::ctl {

std::string bytes_per_s(double v);
std::string duration_s(double v);  // < 0: "-"
std::string percent(double ratio);
std::string per_s(double v);

}  // namespace tcpulse::ctl
