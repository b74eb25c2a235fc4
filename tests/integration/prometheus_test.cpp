// The agent scraped by a real Prometheus server (Debian's prometheus: its own config, storage in a
// temp dir, a loopback port), checked through Prometheus's query API as a dashboard would ask:
// rates match the traffic, both pods of a bulk transfer have a finite RTT quantile, and counters
// never reset across an agent kill -9 and restart. promtool lints /metrics.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fcntl.h>

#include <cmath>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/child_process.h"
#include "tests/support/command.h"
#include "tests/support/eventually.h"
#include "tests/support/http_get.h"
#include "tests/support/privileges.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/tcp_transfer.h"
#include "tests/support/test_node.h"
#include "tests/support/test_pins.h"
#include "tests/support/thread_guard.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

class RealPrometheus : public ::testing::Test {
 protected:
  void SetUp() override {
    TCPULSE_SKIP_UNLESS(node_unavailable());
    if (!prometheus_available())
      GTEST_SKIP() << "SKIPPED: no prometheus server or promtool (Debian's prometheus package; "
                      "hack/deps.sh installs it)";
    pin_dir_ = test_pin_dir("prom");
    char tmpl[] = "/tmp/tcpulse-prom-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::remove_all(pin_dir_, ec);
    std::filesystem::remove_all(state_dir_for(pin_dir_), ec);
  }
  std::filesystem::path pin_dir_, dir_;
};

TEST_F(RealPrometheus, RatesQuantilesAndNoResetAcrossAnAgentKill) {
  std::string agent_address = "127.0.0.1:" + std::to_string(free_loopback_port());
  // The model moves in steps of --interval; rate() over a few 1 s scrapes of it is off by up to
  // one step in the window: 0.2 s keeps that under 5% (1 s made it 20%, and flaked in CI).
  std::vector<std::string> args = {"--interval", "0.2", "--listen", agent_address};
  auto first = std::make_unique<AgentProcess>(pin_dir_, false, args);
  first->wait_ready();
  PrometheusServer prom(dir_, agent_address);
  ASSERT_TRUE(eventually([&] { return prom.ready(); }, 30)) << prom.log();

  TestNode node(pin_dir_);
  const TestPod client = node.add_pod("client");
  const TestPod server = node.add_pod("server");
  UniqueFd listener = listen_in_netns(server.netns_path, server.ip, 7301);
  std::atomic<bool> stop{false};
  std::thread sink([&] {
    UniqueFd c(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[65536];
    while (read(c.get(), buf, sizeof(buf)) > 0) {
    }
  });
  // A paced bulk transfer: 1 MB every 50 ms, 20 MB/s, until told to stop.
  Connection conn = connect_in_netns(client.netns_path, server.ip, 7301);
  std::atomic<uint64_t> sent{0};
  std::thread sender([&] {
    std::string chunk(1'000'000, 'x');
    auto next = std::chrono::steady_clock::now();
    while (!stop) {
      size_t off = 0;
      while (off < chunk.size()) {
        ssize_t n = write(conn.fd.get(), chunk.data() + off, chunk.size() - off);
        if (n <= 0) return;
        off += n;
      }
      sent += chunk.size();
      next += std::chrono::milliseconds(50);
      std::this_thread::sleep_until(next);
    }
  });
  auto finish = [&] {
    stop = true;
    sender.join();
    conn.fd.reset();
    sink.join();
  };
  ThreadGuard sender_guard(sender, [&] {
    stop = true;
    shutdown(conn.fd.get(), SHUT_RDWR);
  });
  ThreadGuard sink_guard(sink, [&] {
    shutdown(listener.get(), SHUT_RDWR);
    conn.fd.reset();
  });

  // rate() over the agent's counter is the rate the client sent at (payload plus ~3.5% of
  // headers), as the client counted it over the same window.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  uint64_t sent_before = sent;
  std::this_thread::sleep_for(std::chrono::seconds(8));
  double sent_rate = static_cast<double>(sent - sent_before) / 8;
  auto rate = prom.query("rate(tcpulse_bytes_total{pod=\"client\",direction=\"egress\"}[6s])", "pod");
  EXPECT_NEAR(rate["client"], sent_rate * 1.035, sent_rate * 0.2) << prom.log();
  // Both pods of the transfer have an RTT: the sender from its data, the receiver from its ACKs.
  auto p99 = prom.query(
      "histogram_quantile(0.99, rate(tcpulse_tcp_rtt_seconds_bucket{pod=~\"client|server\"}[5s]))",
      "pod");
  std::printf("[ measured ] client egress rate %.1f MB/s (it sent %.1f MB/s); RTT p99 client "
              "%.1f us, server %.1f us\n", rate["client"] / 1e6, sent_rate / 1e6, p99["client"] * 1e6,
              p99["server"] * 1e6);
  for (const char* pod : {"client", "server"}) {
    ASSERT_TRUE(p99.count(pod)) << pod;
    EXPECT_TRUE(std::isfinite(p99[pod])) << pod << " p99 " << p99[pod];
    EXPECT_GT(p99[pod], 0) << pod;
  }

  // kill -9 under traffic, and a new agent on the same pins and address: no counter resets.
  ASSERT_EQ(kill(first->pid(), SIGKILL), 0);
  first->stop();
  first.reset();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // scrapes fail meanwhile
  AgentProcess second(pin_dir_, true, args);
  second.wait_ready();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  finish();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto resets =
      prom.query("sum by (pod) (resets(tcpulse_bytes_total{pod=~\"client|server\"}[1m]))", "pod");
  ASSERT_EQ(resets.size(), 2u) << "client and server, both directions";
  for (const auto& [pod, n] : resets) EXPECT_EQ(n, 0) << pod;
  auto up = prom.query("up", "job");
  EXPECT_EQ(up["tcpulse"], 1);
  auto after = prom.query("increase(tcpulse_bytes_total{pod=\"client\",direction=\"egress\"}[1m])", "pod");
  EXPECT_GT(after["client"], 0);

  // promtool's lint of what the agent serves: no warning.
  auto lint = run_command({kPromtoolBinary, "check", "metrics"}, second.get("/metrics"));
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "") << "promtool check metrics warned";
}

TEST_F(RealPrometheus, PeerSeriesCountTheTrafficAndLintClean) {
  AgentProcess agent(pin_dir_, true, {"--interval", "0.2", "--peer-metrics", "--peer-top-k", "1"});
  agent.wait_ready();
  TestNode node(pin_dir_);
  const TestPod client = node.add_pod("client");
  const TestPod server = node.add_pod("server");
  const TestPod other = node.add_pod("other");
  auto big = tcp_transfer(server.netns_path, server.ip, 7302, client.netns_path, 2'000'000);
  auto small = tcp_transfer(other.netns_path, other.ip, 7303, client.netns_path, 10'000);
  ASSERT_EQ(big.received, 2'000'000u);
  ASSERT_EQ(small.received, 10'000u);
  std::string text;
  auto peer_bytes = [&](const std::string& peer, const std::string& port) {
    text = agent.get("/metrics");
    return find_sample(parse_prometheus_text(text), "tcpulse_peer_bytes_total",
                       {{"pod", "client"}, {"peer", peer}, {"port", port}, {"direction", "egress"}});
  };
  // The busiest peer has its series (payload plus headers); the other is folded (top-K 1).
  ASSERT_TRUE(eventually([&] { return peer_bytes(server.ip, "7302").value_or(0) >= 2'000'000; }, 5))
      << text;
  EXPECT_LE(peer_bytes(server.ip, "7302").value_or(0), 2'000'000 * 1.1);
  auto other_bytes = peer_bytes("other", "").value_or(0);
  if (peer_bytes(other.ip, "7303")) {
    // Busiest in its own interval (the big transfer was over): a series of its own.
    EXPECT_GE(peer_bytes(other.ip, "7303").value_or(0), 10'000);
  } else {
    EXPECT_GE(other_bytes, 10'000);
  }
  EXPECT_TRUE(find_sample(parse_prometheus_text(text), "tcpulse_peer_rtt_seconds_count",
                          {{"pod", "client"}, {"peer", server.ip}}).value_or(0) >= 1);
  auto lint = run_command({kPromtoolBinary, "check", "metrics"}, text);
  EXPECT_EQ(lint.exit_code, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "") << "promtool check metrics warned";
}

}  // namespace
}  // namespace tcpulse::test
