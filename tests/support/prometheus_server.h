// PrometheusServer: Debian's prometheus scraping one target every second, with its own config
// and storage in a test's dir and a loopback port, stopped (by its pid) when the object goes away;
// queried through its HTTP API as a dashboard or an alert would query it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace tcpulse::test {

inline constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";
inline constexpr const char* kPromtoolBinary = "/usr/bin/promtool";

bool prometheus_available();
uint16_t free_loopback_port();

class PrometheusServer {
 public:
  PrometheusServer(const std::filesystem::path& dir, const std::string& target, const std::string& job = "tcpulse");
  ~PrometheusServer();
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  bool ready() const;
  // An instant query's result vector (the API's data.result); throws on an API error.
  nlohmann::json result(const std::string& promql) const;
  // Its values by the label `by`.
  std::map<std::string, double> query(const std::string& promql, const std::string& by) const;
  std::string log() const;

 private:
  std::filesystem::path dir_;
  std::string address_;
  pid_t pid_ = -1;
};

}  // namespace tcpulse::test
