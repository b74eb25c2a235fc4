// Parses the Prometheus text format into samples, so tests can look values up by name and labels.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tcpulse::test {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

std::vector<Sample> parse_prometheus_text(const std::string& text);

// The value of the one sample with this name whose labels include all of `match`; nullopt if
// none; throws if several match.
std::optional<double> find_sample(const std::vector<Sample>& samples, const std::string& name,
                                  const std::map<std::string, std::string>& match);

}  // namespace tcpulse::test
