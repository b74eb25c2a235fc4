#include "tests/support/prometheus_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "agent/ctl/agent_client.h"
#include "tests/support/child_process.h"
#include "tests/support/file_bytes.h"
#include "tests/support/http_get.h"
#include "tests/support/tcp_transfer.h"

namespace tcpulse::test {

using json = nlohmann::json;

bool prometheus_available() {
  return std::filesystem::exists(kPrometheusBinary) && std::filesystem::exists(kPromtoolBinary);
}

uint16_t free_loopback_port() {
  UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = ipv4_address("127.0.0.1", 0);
  bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(s.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  return ntohs(addr.sin_port);
}

PrometheusServer::PrometheusServer(const std::filesystem::path& dir, const std::string& target, const std::string& job)
    : dir_(dir) {
  std::ofstream(dir / "prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
      << "scrape_configs:\n  - job_name: " << job << "\n    static_configs:\n"
      << "      - targets: ['" << target << "']\n";
  address_ = "127.0.0.1:" + std::to_string(free_loopback_port());
  UniqueFd log(open((dir / "prometheus.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ChildOptions options;
  options.stdout_fd = options.stderr_fd = log.get();
  pid_ = spawn_child({kPrometheusBinary, "--config.file=" + (dir / "prometheus.yml").string(),
                      "--storage.tsdb.path=" + (dir / "data").string(), "--web.listen-address=" + address_,
                      "--log.level=warn"},
                     options);
}

PrometheusServer::~PrometheusServer() { stop_child(pid_); }

bool PrometheusServer::ready() const {
  try {
    http_get(address_, "/-/ready");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

json PrometheusServer::result(const std::string& promql) const {
  auto doc = json::parse(http_get(address_, ctl::with_query("/api/v1/query", {{"query", promql}})));
  if (doc.value("status", "") != "success") throw std::runtime_error("query failed: " + doc.dump());
  return doc["data"]["result"];
}

std::map<std::string, double> PrometheusServer::query(const std::string& promql, const std::string& by) const {
  std::map<std::string, double> out;
  for (const auto& r : result(promql)) {
    std::string key = r["metric"].contains(by) ? r["metric"][by].get<std::string>() : "";
    out[key] = std::stod(r["value"][1].get<std::string>());  // "NaN" and "+Inf" parse too
  }
  return out;
}

std::string PrometheusServer::log() const {
  return file_bytes(dir_ / "prometheus.log");
}

}  // namespace tcpulse::test
