// Connection records on a live node: what a long connection, a burst of short ones and an agent
// killed mid-connection leave in the connection log, checked against what the sockets themselves
// sent and received.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/eventually.h"
#include "tests/support/privileges.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/tcp_transfer.h"
#include "tests/support/test_node.h"
#include "tests/support/test_pins.h"
#include "tests/support/thread_guard.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

std::vector<json> read_records(const std::filesystem::path& path) {
  std::vector<json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// The records of one pod's connections to remote_port, optionally of one local port.
std::vector<json> records_of(const std::vector<json>& all, const std::string& pod, int remote_port,
                             int local_port = 0) {
  std::vector<json> out;
  for (const auto& r : all) {
    std::string remote = r["remote"], local = r["local"];
    if (r["pod"] != pod || remote.substr(remote.rfind(':') + 1) != std::to_string(remote_port))
      continue;
    if (local_port && local.substr(local.rfind(':') + 1) != std::to_string(local_port)) continue;
    out.push_back(r);
  }
  return out;
}

size_t count_event(const std::vector<json>& records, const std::string& event) {
  return std::count_if(records.begin(), records.end(), [&](const json& r) { return r["event"] == event; });
}

uint64_t sum_delta(const std::vector<json>& records, const char* dir, const char* key) {
  uint64_t sum = 0;
  for (const auto& r : records) sum += r[dir][std::string(key) + "_delta"].get<uint64_t>();
  return sum;
}

void send_all(int fd, size_t bytes) {
  std::string chunk(std::min<size_t>(bytes, 65536), 'x');
  while (bytes) {
    ssize_t n = write(fd, chunk.data(), std::min(bytes, chunk.size()));
    ASSERT_GT(n, 0);
    bytes -= n;
  }
}

class ConnectionRecords : public ::testing::Test {
 protected:
  void SetUp() override {
    TCPULSE_SKIP_UNLESS(node_unavailable());
    pin_dir_ = test_pin_dir("records");
    char tmpl[] = "/tmp/tcpulse-records-XXXXXX";
    dir_ = mkdtemp(tmpl);
    log_ = dir_ / "connections.log";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::remove_all(pin_dir_, ec);
    std::filesystem::remove_all(state_dir_for(pin_dir_), ec);
  }
  std::vector<std::string> agent_args(const char* interval = "1") const {
    return {"--interval", interval, "--connection-log", log_.string()};
  }

  std::filesystem::path pin_dir_, dir_, log_;
};

TEST_F(ConnectionRecords, ALongConnectionIsReportedEveryIntervalAndItsDeltasAddUp) {
  AgentProcess agent(pin_dir_, true, agent_args());
  agent.wait_ready();
  TestNode node(pin_dir_);
  const TestPod client = node.add_pod("client");
  const TestPod server = node.add_pod("server");

  UniqueFd listener = listen_in_netns(server.netns_path, server.ip, 7201);
  std::atomic<uint64_t> received{0};
  std::thread sink([&] {
    UniqueFd c(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[65536];
    ssize_t n;
    while ((n = read(c.get(), buf, sizeof(buf))) > 0) received += n;
  });
  Connection conn;
  ThreadGuard sink_guard(sink, [&] {
    shutdown(listener.get(), SHUT_RDWR);
    conn.fd.reset();
  });
  conn = connect_in_netns(client.netns_path, server.ip, 7201);
  // Six seconds of steady sending: at a 1 s interval, a report in each.
  for (int i = 0; i < 30; i++) {
    send_all(conn.fd.get(), 50'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  conn.fd.reset();
  sink.join();

  std::vector<json> mine;
  ASSERT_TRUE(eventually([&] {
    mine = records_of(read_records(log_), "client", 7201, conn.local_port);
    return count_event(mine, "close") == 1;
  }, 10)) << agent.log();
  EXPECT_EQ(count_event(mine, "open"), 1u);
  EXPECT_GE(count_event(mine, "report"), 5u);
  EXPECT_EQ(mine.front()["event"], "open");
  EXPECT_EQ(mine.back()["event"], "close");
  EXPECT_EQ(mine.back()["reason"], "fin");
  EXPECT_EQ(mine.front()["role"], "client");
  EXPECT_EQ(mine.front()["peer_pod"], "server");
  // The deltas add up to the last record's totals exactly, and to what the server read.
  EXPECT_EQ(sum_delta(mine, "egress", "bytes"), mine.back()["egress"]["bytes"].get<uint64_t>());
  double payload = static_cast<double>(sum_delta(mine, "egress", "payload_bytes"));
  EXPECT_NEAR(payload, static_cast<double>(received.load()), received.load() * 0.01)
      << "received " << received.load();
  EXPECT_EQ(received.load(), 30u * 50'000);
  // Times: each record later than the one before, the start before them all.
  for (size_t i = 1; i < mine.size(); i++)
    EXPECT_LT(mine[i - 1]["time"].get<std::string>(), mine[i]["time"].get<std::string>());
  EXPECT_LT(mine.front()["start"].get<std::string>(), mine.front()["time"].get<std::string>());
  EXPECT_GE(mine.back()["duration_s"].get<double>(), 5.0);

  // The server's side of the same connection is its own story, from its pod's view.
  std::vector<json> server_side;
  for (const auto& r : read_records(log_))
    if (r["pod"] == "server" && r["local"] == server.ip + ":7201") server_side.push_back(r);
  ASSERT_FALSE(server_side.empty());
  EXPECT_EQ(sum_delta(server_side, "ingress", "payload_bytes"), sum_delta(mine, "egress", "payload_bytes"));
}

TEST_F(ConnectionRecords, FiveHundredShortConnectionsYieldExactlyFiveHundredCloseRecords) {
  AgentProcess agent(pin_dir_, true, agent_args());
  agent.wait_ready();
  TestNode node(pin_dir_);
  const TestPod client = node.add_pod("client");
  const TestPod server = node.add_pod("server");
  constexpr int kConnections = 500;

  UniqueFd listener = listen_in_netns(server.netns_path, server.ip, 7202);
  std::thread echo([&] {
    for (int i = 0; i < kConnections; i++) {
      UniqueFd c(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      char buf[64];
      ssize_t n = read(c.get(), buf, sizeof(buf));
      if (n > 0 && write(c.get(), buf, n) != n) break;
    }
  });
  ThreadGuard echo_guard(echo, [&] { shutdown(listener.get(), SHUT_RDWR); });
  std::set<uint16_t> ports;
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kConnections; i++) {
    Connection c = connect_in_netns(client.netns_path, server.ip, 7202);
    ASSERT_EQ(write(c.fd.get(), "ping", 4), 4);
    char buf[4];
    ASSERT_EQ(read(c.fd.get(), buf, 4), 4);
    ports.insert(c.local_port);
  }
  echo.join();
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("[ measured ] %d connections in %.2f s\n", kConnections, took);

  std::vector<json> closes;
  EXPECT_TRUE(eventually([&] {
    closes.clear();
    for (const auto& r : records_of(read_records(log_), "client", 7202))
      if (r["event"] == "close") closes.push_back(r);
    return closes.size() >= kConnections;
  }, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a collection more: no duplicates
  closes.clear();
  for (const auto& r : records_of(read_records(log_), "client", 7202))
    if (r["event"] == "close") closes.push_back(r);
  EXPECT_EQ(closes.size(), static_cast<size_t>(kConnections));
  std::set<uint16_t> closed_ports;
  for (const auto& r : closes) {
    std::string local = r["local"];
    closed_ports.insert(static_cast<uint16_t>(std::stoi(local.substr(local.rfind(':') + 1))));
    EXPECT_EQ(r["egress"]["payload_bytes"], 4);
    EXPECT_EQ(r["ingress"]["payload_bytes"], 4);
  }
  EXPECT_EQ(closed_ports, ports) << "one close for every connection made";
  auto samples = parse_prometheus_text(agent.get("/metrics"));
  EXPECT_GE(find_sample(samples, "tcpulse_connection_records_total", {{"event", "close"}}).value_or(0),
            2.0 * kConnections) << "the client's and the server's";
}

TEST_F(ConnectionRecords, AnAgentKilledMidConnectionLosesNoRecord) {
  TestNode* node = nullptr;
  std::unique_ptr<TestNode> owned;
  UniqueFd listener;
  std::atomic<uint64_t> received{0};
  uint64_t sent = 0;
  std::thread sink;
  Connection conn;
  ThreadGuard sink_guard(sink, [&] {
    shutdown(listener.get(), SHUT_RDWR);
    conn.fd.reset();
  });
  {
    AgentProcess first(pin_dir_, false, agent_args());
    first.wait_ready();
    owned = std::make_unique<TestNode>(pin_dir_);
    node = owned.get();
    const TestPod client = node->add_pod("client");
    const TestPod server = node->add_pod("server");
    listener = listen_in_netns(server.netns_path, server.ip, 7203);
    sink = std::thread([&] {
      UniqueFd c(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      char buf[65536];
      ssize_t n;
      while ((n = read(c.get(), buf, sizeof(buf))) > 0) received += n;
    });
    conn = connect_in_netns(client.netns_path, server.ip, 7203);
    // Sending until the connection has an open and a report: the checkpoint holds it.
    ASSERT_TRUE(eventually([&] {
      send_all(conn.fd.get(), 50'000);
      sent += 50'000;
      auto mine = records_of(read_records(log_), "client", 7203);
      return count_event(mine, "open") == 1 && count_event(mine, "report") >= 1;
    }, 10));
    send_all(conn.fd.get(), 200'000);  // perhaps recorded, perhaps not, before the kill
    ASSERT_EQ(kill(first.pid(), SIGKILL), 0);
    first.stop();
  }
  send_all(conn.fd.get(), 100'000);  // while no agent runs
  AgentProcess second(pin_dir_, true, agent_args());
  second.wait_ready();
  send_all(conn.fd.get(), 100'000);
  conn.fd.reset();
  sink.join();
  std::vector<json> mine;
  ASSERT_TRUE(eventually([&] {
    mine = records_of(read_records(log_), "client", 7203);
    return count_event(mine, "close") == 1;
  }, 10)) << second.log();
  EXPECT_EQ(count_event(mine, "open"), 1u) << "the restarted agent went on from the checkpoint";
  EXPECT_EQ(received.load(), sent + 400'000);
  // Records written before the kill but after the last checkpoint could count a delta twice;
  // none may be lost.
  double payload = static_cast<double>(sum_delta(mine, "egress", "payload_bytes"));
  EXPECT_GE(payload, received.load());
  EXPECT_LE(payload, received.load() * 1.01);
  owned.reset();
}

TEST_F(ConnectionRecords, FlowsCanBeFilteredAndLimitedBusiestFirst) {
  AgentProcess agent(pin_dir_, true, {"--interval", "0.2"});
  agent.wait_ready();
  TestNode node(pin_dir_);
  const TestPod a = node.add_pod("a", "shop");
  const TestPod b = node.add_pod("b", "db");
  UniqueFd listener = listen_in_netns(b.netns_path, b.ip, 7204);
  Connection quiet = connect_in_netns(a.netns_path, b.ip, 7204);
  Connection busy = connect_in_netns(a.netns_path, b.ip, 7204);
  std::vector<UniqueFd> accepted;
  for (int i = 0; i < 2; i++) accepted.emplace_back(accept(listener.get(), nullptr, nullptr));
  std::atomic<bool> stop{false};
  std::thread drain([&] {
    char buf[65536];
    while (!stop) {
      for (auto& fd : accepted) (void)recv(fd.get(), buf, sizeof(buf), MSG_DONTWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  ThreadGuard drain_guard(drain, [&] { stop = true; });
  for (int i = 0; i < 5; i++) {
    send_all(busy.fd.get(), 100'000);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto only_a = json::parse(agent.get("/flows?namespace=shop&pod=a"));
  stop = true;
  drain.join();
  ASSERT_EQ(only_a["matched"], 2) << only_a.dump();
  for (const auto& f : only_a["flows"]) EXPECT_EQ(f["pod"], "a");
  auto one = json::parse(agent.get("/flows?namespace=shop&limit=1"));
  ASSERT_EQ(one["flows"].size(), 1u);
  EXPECT_EQ(one["omitted"], 1);
  EXPECT_EQ(one["flows"][0]["local_port"], busy.local_port) << "the busiest first";
  EXPECT_EQ(json::parse(agent.get("/flows?namespace=nowhere"))["matched"], 0);
  auto all = json::parse(agent.get("/flows?limit=0"));
  EXPECT_EQ(all["matched"], 4) << "both pods' sides of both connections";
  EXPECT_EQ(all["omitted"], 0);
}

TEST_F(ConnectionRecords, AFullDiskIsCountedAndTheAgentCarriesOn) {
  AgentProcess agent(pin_dir_, true, {"--interval", "0.2", "--connection-log", "/dev/full"});
  agent.wait_ready();
  TestNode node(pin_dir_);
  const TestPod a = node.add_pod("a");
  const TestPod b = node.add_pod("b");
  auto transfer = tcp_transfer(b.netns_path, b.ip, 7205, a.netns_path, 10'000);
  ASSERT_EQ(transfer.received, 10'000u);
  EXPECT_TRUE(eventually([&] {
    auto samples = parse_prometheus_text(agent.get("/metrics"));
    return find_sample(samples, "tcpulse_connection_records_dropped_total", {{"reason", "disk_full"}})
               .value_or(0) >= 2;
  }, 10)) << agent.get("/metrics");
  EXPECT_EQ(agent.get("/healthz").substr(0, 2), "ok");
}

}  // namespace
}  // namespace tcpulse::test
