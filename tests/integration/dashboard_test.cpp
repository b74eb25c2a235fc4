// The Grafana dashboard and the alert rules against a real Prometheus scraping an agent on a
// local node with traffic: every panel's query (its variables substituted as Grafana would)
// returns data, and so does every alert's expression with its threshold relaxed, so that no
// panel or alert names a metric, label or value the agent does not export.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/alert_rules.h"
#include "tests/support/chart_renderer.h"
#include "tests/support/eventually.h"
#include "tests/support/privileges.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/tcp_transfer.h"
#include "tests/support/test_node.h"
#include "tests/support/test_pins.h"
#include "tests/support/thread_guard.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

// Grafana's substitution for one selection: a namespace, every pod and agent, a rate window
// that holds several of the test's 1 s scrapes.
std::string substitute(std::string expr, const std::string& pod_namespace) {
  for (const auto& [var, value] : std::vector<std::pair<std::string, std::string>>{
           {"$__rate_interval", "10s"}, {"$namespace", pod_namespace}, {"$pod", ".*"}, {"$instance", ".*"}}) {
    for (size_t at; (at = expr.find(var)) != std::string::npos;) expr.replace(at, var.size(), value);
  }
  return expr;
}

class DashboardAndAlerts : public ::testing::Test {
 protected:
  void SetUp() override {
    TCPULSE_SKIP_UNLESS(node_unavailable());
    if (!prometheus_available()) GTEST_SKIP() << "SKIPPED: no prometheus server (hack/deps.sh installs it)";
    if (!render_chart_available()) GTEST_SKIP() << "SKIPPED: no chart renderer (needs golang-go; hack/deps.sh)";
    pin_dir_ = test_pin_dir("dash");
    char tmpl[] = "/tmp/tcpulse-dash-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
    fs::remove_all(pin_dir_, ec);
    fs::remove_all(state_dir_for(pin_dir_), ec);
  }
  fs::path pin_dir_, dir_;
};

TEST_F(DashboardAndAlerts, EveryPanelAndEveryAlertExpressionReturnsData) {
  std::string agent_address = "127.0.0.1:" + std::to_string(free_loopback_port());
  AgentProcess agent(pin_dir_, true, {"--interval", "1", "--listen", agent_address});
  agent.wait_ready();
  // The job the chart's ServiceMonitor gives its targets: the agent-down alert selects it.
  PrometheusServer prom(dir_, agent_address, "tcpulse-agent");
  ASSERT_TRUE(eventually([&] { return prom.ready(); }, 30)) << prom.log();

  const std::string ns = "dash-" + std::to_string(getpid());
  TestNode node(pin_dir_);
  const TestPod client = node.add_pod("client", ns);
  const TestPod server = node.add_pod("server", ns);
  // Traffic of every kind the panels show: a bulk stream, short connections opened and closed,
  // and connections refused with a reset.
  UniqueFd listener = listen_in_netns(server.netns_path, server.ip, 7401);
  std::atomic<bool> stop{false};
  std::thread sink([&] {
    while (!stop) {
      UniqueFd c(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (c.get() < 0) return;
      char buf[65536];
      while (read(c.get(), buf, sizeof buf) > 0) {
      }
    }
  });
  ThreadGuard sink_guard(sink, [&] {
    stop = true;
    shutdown(listener.get(), SHUT_RDWR);
  });
  std::thread traffic([&] {
    std::string chunk(200'000, 'x');
    while (!stop) {
      try {
        Connection conn = connect_in_netns(client.netns_path, server.ip, 7401);
        for (int i = 0; i < 20 && !stop; ++i)
          if (send(conn.fd.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) break;
      } catch (const std::exception&) {
      }
      try {
        connect_in_netns(client.netns_path, server.ip, 7402);  // nothing listens: RST
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  ThreadGuard traffic_guard(traffic, [&] { stop = true; });
  std::this_thread::sleep_for(std::chrono::seconds(15));

  std::ifstream file(source_dir() / "charts/tcpulse/dashboards/tcpulse.json");
  json dashboard = json::parse(file);
  size_t queries = 0;
  std::vector<std::string> empty;
  for (const auto& panel : dashboard["panels"]) {
    if (panel["type"] == "row") continue;
    for (const auto& target : panel["targets"]) {
      std::string expr = substitute(target["expr"], ns);
      ++queries;
      json result = prom.result(expr);
      if (result.empty()) empty.push_back(panel["title"].get<std::string>() + ": " + expr);
    }
  }
  // The variables' own queries list this test's namespace, pods and agent.
  for (const auto& var : dashboard["templating"]["list"]) {
    if (var["type"] != "query") continue;
    std::smatch m;
    std::string q = substitute(var["query"]["query"], ns);
    ASSERT_TRUE(std::regex_match(q, m, std::regex(R"(label_values\((.*), (\w+)\))"))) << q;
    if (prom.result("count by (" + m[2].str() + ") (" + m[1].str() + ")").empty())
      empty.push_back("variable " + var["name"].get<std::string>() + ": " + q);
  }
  EXPECT_GE(queries, 20u);
  for (const auto& e : empty) ADD_FAILURE() << "no data: " << e;

  size_t alerts = 0;
  const json rules = rendered_alert_rules();  // named: a temporary's ["groups"] would dangle
  for (const auto& group : rules["groups"])
    for (const auto& rule : group["rules"]) {
      std::string relaxed = without_threshold(rule["expr"]);
      ++alerts;
      EXPECT_FALSE(prom.result(relaxed).empty()) << rule["alert"] << ": no data for " << relaxed;
    }
  EXPECT_EQ(alerts, 7u);
  std::printf("[ measured ] %zu panel queries and %zu alert expressions returned data\n", queries, alerts);
}

}  // namespace
}  // namespace tcpulse::test
