// tcpulse-agent's HTTP side under abuse, as a real process with a real descriptor limit:
// ~1,000 misbehaving clients (silent, slow, oversized, garbage, never reading) on loopback, while a
// scraper keeps getting answers, memory stays bounded and reconciliation keeps working.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/host_veth.h"
#include "tc-bpf/lib/pending_pods.h"
#include "tc-bpf/lib/pod_identity.h"
#include "tests/support/test_pins.h"
#include "tests/support/agent_process.h"
#include "tests/support/command.h"
#include "tests/support/eventually.h"
#include "tests/support/privileges.h"
#include "tests/support/test_node.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

std::filesystem::path pin_dir() { return test_pin_dir("http"); }

std::filesystem::path abuse_binary() { return TCPULSE_BIN_DIR "/http-abuse"; }

// The defects: with a 1,024 descriptor limit, 1,019 half-open connections made the accept loop
// spin and reconciliation fail ("Too many open files"); 1,500 clients posting 1 MB each took the
// agent to 1.47 GB. The figures under load live in docs/reliability.md (hack/bench-http-abuse.sh);
// here: every scrape answered, memory bounded, a queued pod attached while it goes on.
TEST(AgentHttp, HoldsAgainstAThousandAbusiveClientsUnderATightDescriptorLimit) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  AgentProcess agent(pin_dir(), true, {}, /*nofile_limit=*/1024);
  agent.wait_ready();
  TestNode node(pin_dir(), "{}", "1.0.0", /*chain_tcpulse=*/false);
  TestPod pod = node.add_pod("queued");
  auto veth = find_host_veth(pod.netns_path, "eth0");
  ASSERT_TRUE(veth && veth->host) << (veth ? "not a veth" : veth.error().describe());

  std::string port = agent.address().substr(agent.address().rfind(':') + 1);
  std::string abuse_out;
  std::thread abuse([&] {
    abuse_out = run_checked({abuse_binary().string(), port, "1019", "4", std::to_string(agent.pid())});
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  CniAttachment attachment{pod.container_id, "eth0", node.network_name(),
                           {{"K8S_POD_NAMESPACE", "ns"}, {"K8S_POD_NAME", "queued"}}};
  ASSERT_TRUE(write_pending(state_dir_for(pin_dir()),
                            {pod_identity(attachment, veth->netns_ino, nullptr), veth->host->ifindex}));
  abuse.join();

  auto result = json::parse(abuse_out);
  SCOPED_TRACE(abuse_out);
  EXPECT_EQ(result["scrapes_failed"], 0);
  EXPECT_GE(result["scrapes"], 10);
  EXPECT_LT(result["server_peak_rss_kib"].get<uint64_t>(), 64u * 1024);
  EXPECT_GT(result["closed_by_server"].get<uint64_t>(), 1000u);  // the cap and limits did act
  ASSERT_TRUE(eventually([&] { return json::parse(agent.get("/pods")).size() == 1; }, 10))
      << agent.log();
  EXPECT_EQ(agent.log().find("Too many open files"), std::string::npos) << agent.log();
  // What the server did with them, for an operator to see.
  std::string metrics = agent.get("/metrics");
  for (const char* event : {"evicted", "rejected"}) {
    std::string line = std::string("tcpulse_agent_http_connections_total{event=\"") + event + "\"} ";
    auto at = metrics.find(line);
    ASSERT_NE(at, std::string::npos) << event;
    EXPECT_GT(std::stod(metrics.substr(at + line.size())), 0) << event;
  }
  node.del_pod("queued");
}

}  // namespace
}  // namespace tcpulse::test
