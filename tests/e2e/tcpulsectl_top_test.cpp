// `tcpulsectl top` in a real terminal (tmux, on a socket of its own) against an agent on a local
// node with traffic: the pods appear with their throughput, a lossy pair shows its
// retransmissions, the filter and Enter (a pod's connections) and Esc work, a resize and an agent
// restart ("reconnecting") are survived, and q exits with status 0 and gives the terminal back.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <regex>
#include <thread>

#include "tests/support/agent_process.h"
#include "tests/support/command.h"
#include "tests/support/eventually.h"
#include "tests/support/privileges.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/tcp_transfer.h"
#include "tests/support/test_node.h"
#include "tests/support/test_pins.h"
#include "tests/support/thread_guard.h"
#include "tests/support/tmux_session.h"

namespace tcpulse::test {
namespace {

TEST(TcpulsectlTop, ShowsPodsLossAndConnectionsAndSurvivesAnAgentRestart) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  if (!tmux_available()) GTEST_SKIP() << "SKIPPED: no tmux (hack/deps.sh installs it)";
  auto pin_dir = test_pin_dir("ctl");
  std::string address = "127.0.0.1:" + std::to_string(free_loopback_port());
  std::vector<std::string> agent_args = {"--listen", address, "--interval", "0.25"};
  auto agent = std::make_unique<AgentProcess>(pin_dir, false, agent_args);
  agent->wait_ready();

  TestNode node(pin_dir);
  const TestPod web = node.add_pod("web", "front"), api = node.add_pod("api", "front");
  const TestPod cart = node.add_pod("cart", "shop"), db = node.add_pod("db", "shop");
  // Every 20th packet to db is lost inside db's namespace, after both veths saw it.
  run_checked({"ip", "netns", "exec", db.netns_name, "iptables", "-A", "INPUT", "-p", "tcp", "--dport", "7502",
               "-m", "statistic", "--mode", "nth", "--every", "20", "--packet", "19", "-j", "DROP"});

  // Two paced streams (about 4 MB/s each) until the test ends: web -> api, cart -> db.
  std::atomic<bool> stop{false};
  std::vector<UniqueFd> listeners;
  std::vector<std::thread> threads;
  auto stream = [&](const TestPod& from, const TestPod& to, uint16_t port) {
    listeners.push_back(listen_in_netns(to.netns_path, to.ip, port));
    int lfd = listeners.back().get();
    threads.emplace_back([lfd, &stop] {
      while (!stop) {
        UniqueFd c(accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC));
        if (c.get() < 0) return;
        char buf[65536];
        while (read(c.get(), buf, sizeof buf) > 0) {
        }
      }
    });
    threads.emplace_back([&stop, from, to, port] {
      std::string chunk(100'000, 'x');
      while (!stop) {
        try {
          Connection conn = connect_in_netns(from.netns_path, to.ip, port);
          for (int i = 0; i < 200 && !stop; ++i) {
            if (send(conn.fd.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
          }
        } catch (const std::exception&) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
    });
  };
  stream(web, api, 7501);
  stream(cart, db, 7502);
  struct Stopper {
    std::atomic<bool>& stop;
    std::vector<UniqueFd>& listeners;
    std::vector<std::thread>& threads;
    ~Stopper() {
      stop = true;
      for (auto& l : listeners) shutdown(l.get(), SHUT_RDWR);
      for (auto& t : threads) t.join();
    }
  } stopper{stop, listeners, threads};

  TmuxSession tmux;
  tmux.keys({agent_binary().parent_path().string() + "/tcpulsectl top --agent http://" + address +
                 " -d 0.5 --retrans-warn 1% --rtt-warn 1s; echo EXIT=$?",
             "Enter"});
  ASSERT_TRUE(tmux.shows("tcpulse top - agent " + address)) << tmux.screen();
  // Both streams' pods with a throughput; the lossy sender with a retransmission ratio.
  ASSERT_TRUE(eventually([&] {
    std::string s = tmux.screen();
    return std::regex_search(line_with(s, "front/web"), std::regex(R"([0-9.]+ [kM]B/s)")) &&
           std::regex_search(line_with(s, "shop/cart"), std::regex(R"([0-9.]+%)"));
  }, 20)) << tmux.screen();
  std::string screen = tmux.screen();
  std::printf("%s\n", screen.c_str());

  EXPECT_TRUE(std::regex_search(line_with(screen, "front/api"), std::regex(R"([0-9.]+ [kM]B/s)"))) << screen;
  EXPECT_FALSE(std::regex_search(line_with(screen, "front/web"), std::regex(R"([1-9][0-9.]*%)"))) << screen;

  // Filter to the shop, open cart's connections: the connection to db's port is there.
  tmux.keys({"/", "cart", "Enter"});
  ASSERT_TRUE(tmux.shows("filter: cart")) << tmux.screen();
  EXPECT_TRUE(eventually([&] { return line_with(tmux.screen(), "front/web").empty(); }, 5)) << tmux.screen();
  tmux.keys({"Enter"});
  ASSERT_TRUE(tmux.shows("connections of shop/cart")) << tmux.screen();
  ASSERT_TRUE(eventually([&] { return !line_with(tmux.screen(), db.ip).empty(); }, 10)) << tmux.screen();
  EXPECT_NE(line_with(tmux.screen(), db.ip).find("7502"), std::string::npos) << tmux.screen();
  EXPECT_NE(line_with(tmux.screen(), db.ip).find("client"), std::string::npos) << tmux.screen();
  tmux.keys({"Escape"});
  ASSERT_TRUE(tmux.shows("pods - every")) << tmux.screen();

  // A smaller terminal: it redraws to the new size and goes on.
  tmux.resize(100, 20);
  EXPECT_TRUE(tmux.shows("shop/cart")) << tmux.screen();

  // The agent restarts: top says it is reconnecting, then shows the pods again.
  EXPECT_EQ(agent->stop(), 0);
  agent.reset();
  EXPECT_TRUE(tmux.shows("reconnecting")) << tmux.screen();
  agent = std::make_unique<AgentProcess>(pin_dir, true, agent_args);
  agent->wait_ready();
  EXPECT_TRUE(eventually([&] { return tmux.screen().find("reconnecting") == std::string::npos; }, 15)) << tmux.screen();
  EXPECT_TRUE(tmux.shows("shop/cart")) << tmux.screen();

  // q: exit status 0, and the shell's screen is back (no frame left on it).
  tmux.keys({"q"});
  ASSERT_TRUE(tmux.shows("EXIT=0")) << tmux.screen();
  EXPECT_EQ(tmux.screen().find("RTT p99"), std::string::npos) << tmux.screen();
}

TEST(Tcpulsectl, CommandsForScriptsAndAOneLineErrorWhenTheAgentIsAway) {
  std::string ctl = agent_binary().parent_path().string() + "/tcpulsectl";
  uint16_t port = free_loopback_port();  // nothing listens there
  for (const char* command : {"pods", "flows", "status", "top"}) {
    std::vector<std::string> argv = {ctl, "--agent", "127.0.0.1:" + std::to_string(port), command};
    if (std::string(command) == "top") argv.push_back("--once");
    auto r = run_command(argv);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_NE(r.err.find("tcpulsectl: agent 127.0.0.1:" + std::to_string(port)), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  auto bad = run_command({ctl, "top", "--rtt-warn", "soon"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--rtt-warn"), std::string::npos) << bad.err;
  EXPECT_EQ(run_command({ctl, "frob"}).exit_code, 2);
  EXPECT_EQ(run_command({ctl, "flows", "--pod", "nonamespace"}).exit_code, 2);
  EXPECT_EQ(run_command({ctl, "--help"}).exit_code, 0);
}

TEST(Tcpulsectl, PodsFlowsStatusAndTopOnceAgainstAnAgent) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  std::string ctl = agent_binary().parent_path().string() + "/tcpulsectl";
  auto pin_dir = test_pin_dir("ctl2");
  AgentProcess agent(pin_dir, true, {"--interval", "0.2"});
  agent.wait_ready();
  TestNode node(pin_dir);
  const TestPod client = node.add_pod("client", "ctl"), server = node.add_pod("server", "ctl");
  tcp_transfer(server.netns_path, server.ip, 7503, client.netns_path, 2'000'000);
  agent.get("/pods");  // a collection after the transfer
  std::string url = "http://" + agent.address();

  auto pods = run_command({ctl, "--agent", url, "pods"});
  ASSERT_EQ(pods.exit_code, 0) << pods.err;
  EXPECT_NE(pods.out.find("NAMESPACE"), std::string::npos);
  EXPECT_TRUE(std::regex_search(line_with(pods.out, "client"), std::regex(R"(2\.[01] MB)"))) << pods.out;
  auto pods_json = nlohmann::json::parse(run_checked({ctl, "--agent", url, "pods", "-o", "json"}));
  EXPECT_EQ(pods_json.size(), 2u);

  auto flows = run_command({ctl, "--agent", url, "flows", "--pod", "ctl/client", "--peer", server.ip});
  ASSERT_EQ(flows.exit_code, 0) << flows.err;
  EXPECT_NE(line_with(flows.out, server.ip + ":7503").find("ctl/client"), std::string::npos) << flows.out;
  auto none = nlohmann::json::parse(run_checked({ctl, "--agent", url, "flows", "--peer", "192.0.2.1", "-o", "json"}));
  EXPECT_TRUE(none["flows"].empty());

  auto status = run_command({ctl, "--agent", url, "status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("tcpulse-agent " TCPULSE_VERSION), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("pods attached         2"), std::string::npos) << status.out;
  auto status_json = nlohmann::json::parse(run_checked({ctl, "--agent", url, "status", "-o", "json"}));
  EXPECT_EQ(status_json["pods"]["attached"], 2);
  EXPECT_TRUE(status_json["pending"].empty());

  auto once = run_command({ctl, "--agent", url, "top", "--once", "-d", "0.3"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  EXPECT_NE(once.out.find("NAMESPACE/POD"), std::string::npos) << once.out;
  EXPECT_NE(once.out.find("ctl/client"), std::string::npos) << once.out;
  EXPECT_EQ(once.out.find("\x1b"), std::string::npos) << "escape codes in plain text";
}

}  // namespace
}  // namespace tcpulse::test
