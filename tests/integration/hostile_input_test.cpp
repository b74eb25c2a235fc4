// Odd and hostile input to the plugin on a live node: pods must start (fail open), one pod's
// name must never break another's view, and no two attachments may share their pins. Each test
// reproduces a defect found by trying exactly this (issue "Hostile and odd input").
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/utf8_text.h"
#include "tests/support/test_pins.h"
#include "tests/support/agent_process.h"
#include "tests/support/command.h"
#include "tests/support/eventually.h"
#include "tests/support/privileges.h"
#include "tests/support/test_node.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

fs::path pin_dir() { return test_pin_dir("hostile"); }

class HostileInput : public ::testing::Test {
 protected:
  void SetUp() override { TCPULSE_SKIP_UNLESS(node_unavailable()); }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(state_dir_for(pin_dir()), ec);
    fs::remove_all(pin_dir(), ec);
  }

  // tcpulse alone, as the runtime calls it after the primary plugin made `pod`.
  static CommandResult call(const std::string& command, const TestPod& pod,
                            const std::string& container_id, const std::string& cni_args = "") {
    json conf = {{"cniVersion", "1.0.0"}, {"name", "hostile"}, {"type", "tcpulse"},
                 {"pinDir", pin_dir().string()}, {"stateDir", state_dir_for(pin_dir()).string()},
                 {"prevResult", json::parse(pod.result)}};
    return run_command({plugin_binary().string()}, conf.dump(),
                       {{"CNI_COMMAND", command}, {"CNI_CONTAINERID", container_id},
                        {"CNI_NETNS", pod.netns_path}, {"CNI_IFNAME", "eth0"},
                        {"CNI_PATH", "/usr/lib/cni"}, {"CNI_ARGS", cni_args}});
  }
  static std::vector<std::string> pending_files() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(state_dir_for(pin_dir()) / "pending", ec))
      out.push_back(e.path().filename().string());
    return out;
  }
};

// The defect: with no agent, ADD with a non-UTF-8 K8S_POD_NAME failed with code 5 (the pod was
// not created) and left a 0-byte pending/<id>_eth0.json.tmp<pid> that DEL never removed.
TEST_F(HostileInput, ANonUtf8PodNameFailsOpenAndIsQueued) {
  TestNode node(pin_dir(), "{}", "1.0.0", /*chain_tcpulse=*/false);
  TestPod pod = node.add_pod("p");
  std::string args = "K8S_POD_NAMESPACE=ns\xff;K8S_POD_NAME=name\xff\xfe\xc3;K8S_POD_UID=u";
  auto add = call("ADD", pod, "odd-1", args);
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  auto expected = json::parse(pod.result);
  EXPECT_EQ(json::parse(add.out)["ips"], expected["ips"]);
  auto files = pending_files();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], "odd-1@eth0.json");

  // The agent attaches it from the queue, under a name that is valid UTF-8.
  {
    AgentProcess agent(pin_dir());
    agent.wait_ready();
    ASSERT_TRUE(eventually([&] { return json::parse(agent.get("/pods")).size() == 1; }, 10));
    auto pods = json::parse(agent.get("/pods"));
    EXPECT_EQ(pods[0]["pod"], "name\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    EXPECT_TRUE(pending_files().empty());
    auto del = call("DEL", pod, "odd-1", args);
    EXPECT_EQ(del.exit_code, 0) << del.out << del.err;
    EXPECT_TRUE(json::parse(agent.get("/pods")).empty());
  }
  // Queued again with no agent, then deleted: nothing is left behind.
  ASSERT_EQ(call("ADD", pod, "odd-1", args).exit_code, 0);
  EXPECT_EQ(call("DEL", pod, "odd-1", args).exit_code, 0);
  EXPECT_TRUE(pending_files().empty());
}

// The defect: a 254-byte name plus a two-byte character was cut mid-character; /pods then
// answered 500 for every pod and /metrics carried invalid UTF-8.
TEST_F(HostileInput, OnePodsLongNameBreaksNoOnesView) {
  AgentProcess agent(pin_dir());
  agent.wait_ready();
  TestNode node(pin_dir(), "{}", "1.0.0", /*chain_tcpulse=*/false);
  TestPod odd = node.add_pod("odd");
  TestPod plain = node.add_pod("plain");
  std::string long_name = std::string(254, 'n') + "\xc3\xa9";
  ASSERT_EQ(call("ADD", odd, "odd-2", "K8S_POD_NAMESPACE=x;K8S_POD_NAME=" + long_name).exit_code, 0);
  ASSERT_EQ(call("ADD", plain, "plain-2", "K8S_POD_NAMESPACE=x;K8S_POD_NAME=plain").exit_code, 0);

  std::string pods_text = agent.get("/pods");
  EXPECT_TRUE(is_valid_utf8(pods_text));
  auto pods = json::parse(pods_text);
  ASSERT_EQ(pods.size(), 2u);
  std::set<std::string> names;
  for (const auto& p : pods) names.insert(p["pod"]);
  EXPECT_EQ(names, (std::set<std::string>{std::string(254, 'n'), "plain"}));
  std::string metrics = agent.get("/metrics");
  EXPECT_TRUE(is_valid_utf8(metrics));
  EXPECT_NE(metrics.find("pod=\"plain\""), std::string::npos);
  EXPECT_EQ(call("DEL", odd, "odd-2").exit_code, 0);
  EXPECT_EQ(call("DEL", plain, "plain-2").exit_code, 0);
}

// The defect: container ids differing only in '.' and '-' (both allowed by the spec) shared link
// pins: the second ADD unhooked the first, a DEL of one removed the other's pins, CHECK failed.
TEST_F(HostileInput, ContainersDifferingInDotAndDashKeepTheirOwnPins) {
  AgentProcess agent(pin_dir());
  agent.wait_ready();
  TestNode node(pin_dir(), "{}", "1.0.0", /*chain_tcpulse=*/false);
  TestPod a = node.add_pod("a");
  TestPod b = node.add_pod("b");
  std::string id_a = "x.y" + std::to_string(getpid()), id_b = "x-y" + std::to_string(getpid());
  ASSERT_EQ(call("ADD", a, id_a).exit_code, 0);
  ASSERT_EQ(call("ADD", b, id_b).exit_code, 0);
  EXPECT_EQ(call("CHECK", a, id_a).exit_code, 0) << call("CHECK", a, id_a).out;
  EXPECT_EQ(call("CHECK", b, id_b).exit_code, 0) << call("CHECK", b, id_b).out;
  EXPECT_EQ(std::distance(fs::directory_iterator(PinLayout(pin_dir()).links_dir()), {}), 4);

  ASSERT_EQ(call("DEL", a, id_a).exit_code, 0);
  auto check_b = call("CHECK", b, id_b);
  EXPECT_EQ(check_b.exit_code, 0) << check_b.out << check_b.err;
  EXPECT_EQ(json::parse(agent.get("/pods")).size(), 1u);
  EXPECT_EQ(call("DEL", b, id_b).exit_code, 0);
  EXPECT_TRUE(fs::is_empty(PinLayout(pin_dir()).links_dir()));
}

// Pods attached by a release that named link pins the old way: CHECK and DEL still find them,
// and the agent renames them at start.
TEST_F(HostileInput, LegacyLinkPinsAreFoundAndRenamed) {
  PinLayout layout(pin_dir());
  TestNode node(pin_dir(), "{}", "1.0.0", /*chain_tcpulse=*/false);
  TestPod pod = node.add_pod("old");
  std::string id = "old.pod-" + std::to_string(getpid());
  auto to_legacy = [&] {
    for (TcHook hook : kTcHooks) fs::rename(layout.link(id, "eth0", hook), layout.legacy_link(id, "eth0", hook));
  };
  {
    AgentProcess agent(pin_dir(), /*cleanup_on_exit=*/false);
    agent.wait_ready();
    ASSERT_EQ(call("ADD", pod, id).exit_code, 0);
    to_legacy();
    auto check = call("CHECK", pod, id);
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    agent.stop();
  }
  AgentProcess agent(pin_dir());
  agent.wait_ready();
  for (TcHook hook : kTcHooks) {
    EXPECT_TRUE(fs::exists(layout.link(id, "eth0", hook)));
    EXPECT_FALSE(fs::exists(layout.legacy_link(id, "eth0", hook)));
  }
  to_legacy();
  ASSERT_EQ(call("DEL", pod, id).exit_code, 0);
  EXPECT_TRUE(fs::is_empty(layout.links_dir()));
  EXPECT_TRUE(json::parse(agent.get("/pods")).empty());
}

}  // namespace
}  // namespace tcpulse::test
