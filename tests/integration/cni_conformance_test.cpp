// The tcpulse binary driven exactly as libcni drives it (CNI_* environment + config on stdin),
// against a live datapath and real pods: every command in every supported version, and a table of
// bad inputs, each with its documented outcome, after which no state may have changed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/pin_layout.h"
#include "tests/support/test_pins.h"
#include "tests/support/agent_process.h"
#include "tests/support/command.h"
#include "tests/support/privileges.h"
#include "tests/support/test_node.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

std::filesystem::path pin_dir() { return test_pin_dir("conf"); }

class CniConformance : public ::testing::Test {
 protected:
  void SetUp() override { TCPULSE_SKIP_UNLESS(node_unavailable()); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(state_dir_for(pin_dir()), ec);
  }

  // One call of the tcpulse binary alone.
  static CommandResult call(const std::string& command, const json& conf,
                            std::map<std::string, std::string> env) {
    env["CNI_COMMAND"] = command;
    env.emplace("CNI_PATH", "/usr/lib/cni");
    return run_command({plugin_binary().string()}, conf.dump(), env);
  }
  static json base_conf(const std::string& version) {
    return {{"cniVersion", version}, {"name", "conformance"}, {"type", "tcpulse"},
            {"pinDir", pin_dir().string()}, {"stateDir", state_dir_for(pin_dir()).string()}};
  }
  // Everything tcpulse keeps: records (via the agent), link pins, queued pods. Not the traffic
  // counters, which the pod's own packets move.
  static std::string state(const AgentProcess& agent) {
    auto pods = json::parse(agent.get("/pods"));
    for (auto& p : pods)
      for (const char* moving : {"egress", "ingress", "active_connections"}) p.erase(moving);
    std::string out = pods.dump() + "\n";
    for (const auto& e : std::filesystem::directory_iterator(PinLayout(pin_dir()).links_dir()))
      out += e.path().filename().string() + "\n";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(state_dir_for(pin_dir()) / "pending", ec))
      out += e.path().filename().string() + "\n";
    return out;
  }
};

TEST_F(CniConformance, EveryCommandInEveryVersion) {
  AgentProcess agent(pin_dir());
  agent.wait_ready();
  for (std::string version : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    SCOPED_TRACE(version);
    // Debian's bridge 1.1.1 stops at 1.0.0; its 1.0.0 result is also a valid 1.1.0 result.
    TestNode node(pin_dir(), "{}", version == "1.1.0" ? "1.0.0" : version);
    TestPod pod = node.add_pod("p");
    auto result = json::parse(pod.result);
    if (version == "1.1.0") {  // ADD again as a 1.1.0 runtime would: idempotent, passes through
      auto conf = base_conf(version);
      result["cniVersion"] = version;
      conf["prevResult"] = result;
      auto add = call("ADD", conf, {{"CNI_CONTAINERID", pod.container_id},
                                    {"CNI_NETNS", pod.netns_path}, {"CNI_IFNAME", "eth0"}});
      ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
      EXPECT_EQ(json::parse(add.out), result);
    }
    // prevResult comes back in the version received; before 1.0.0 "ips" carry "version".
    EXPECT_EQ(result["cniVersion"], version);
    EXPECT_EQ(result["ips"][0].contains("version"), version < "1.0.0") << result.dump();
    EXPECT_EQ(json::parse(agent.get("/pods")).size(), 1u);

    auto conf = base_conf(version);
    conf["prevResult"] = result;
    std::map<std::string, std::string> env = {{"CNI_CONTAINERID", pod.container_id},
                                              {"CNI_NETNS", pod.netns_path}, {"CNI_IFNAME", "eth0"}};
    auto version_out = call("VERSION", conf, env);
    ASSERT_EQ(version_out.exit_code, 0);
    EXPECT_EQ(json::parse(version_out.out)["cniVersion"], version);
    if (version >= "0.4.0") {  // CHECK exists from 0.4.0 on
      auto check = call("CHECK", conf, env);
      EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
      EXPECT_TRUE(check.out.empty());
    }
    if (version == "1.1.0") {
      auto status = call("STATUS", base_conf(version), {});
      EXPECT_EQ(status.exit_code, 0) << status.out;
      EXPECT_TRUE(status.out.empty());
      // GC keeps what is listed and collects the rest, within this network only.
      TestPod other = node.add_pod("q");
      auto gc_conf = base_conf(version);
      gc_conf["name"] = node.network_name();
      gc_conf["cni.dev/valid-attachments"] = {{{"containerID", pod.container_id}, {"ifname", "eth0"}}};
      auto gc = call("GC", gc_conf, {});
      EXPECT_EQ(gc.exit_code, 0) << gc.out << gc.err;
      auto pods = json::parse(agent.get("/pods"));
      ASSERT_EQ(pods.size(), 1u);
      EXPECT_EQ(pods[0]["container_id"], pod.container_id);
      gc_conf["name"] = "some-other-network";  // another network's GC touches nothing of ours
      gc_conf["cni.dev/valid-attachments"] = json::array();
      EXPECT_EQ(call("GC", gc_conf, {}).exit_code, 0);
      EXPECT_EQ(json::parse(agent.get("/pods")).size(), 1u);
    }
    node.del_pod("p");
    node.del_pod("q");
    EXPECT_TRUE(json::parse(agent.get("/pods")).empty());
  }
}

struct BadCall {
  std::string name;
  std::string command;
  std::string stdin_text;
  std::map<std::string, std::string> env;
  int exit_code;
  int cni_code;  // 0: success expected
};

TEST_F(CniConformance, BadInputsGetTheirCodeAndChangeNothing) {
  AgentProcess agent(pin_dir());
  agent.wait_ready();
  TestNode node(pin_dir());
  TestPod pod = node.add_pod("victim");
  // A pod whose interface is not a veth (macvlan, ipvlan, SR-IOV look alike to us; this kernel
  // has no dummy driver, so a bridge device plays the part).
  struct Netns {
    std::string name = "tpd-" + std::to_string(getpid());
    Netns() { run_checked({"ip", "netns", "add", name}); }
    ~Netns() { run_command({"ip", "netns", "del", name}); }
  } other;
  const std::string& dummy_ns = other.name;
  run_checked({"ip", "-n", dummy_ns, "link", "add", "eth0", "type", "bridge"});
  std::string before = state(agent);

  auto conf = [](const std::string& version, json extra = json::object()) {
    json c = base_conf(version);
    c["prevResult"] = {{"cniVersion", version}, {"ips", json::array()}, {"interfaces", json::array()}};
    c.update(extra);
    return c.dump();
  };
  std::map<std::string, std::string> env = {{"CNI_CONTAINERID", "bad-1"},
                                            {"CNI_NETNS", pod.netns_path}, {"CNI_IFNAME", "eth0"}};
  auto with = [&](std::map<std::string, std::string> changes) {
    auto e = env;
    for (auto& [k, v] : changes) {
      if (v == "<unset>") e.erase(k);
      else e[k] = v;
    }
    return e;
  };
  json no_prev = base_conf("1.0.0");
  std::vector<BadCall> cases = {
      {"malformed JSON", "ADD", "{\"cniVersion\":", env, 1, 6},
      {"not an object", "ADD", "\"text\"", env, 1, 6},
      {"empty stdin on ADD", "ADD", "", env, 1, 6},
      {"binary garbage", "ADD", std::string("\x01\xff\xfe", 3), env, 1, 6},
      {"huge input", "ADD", std::string(2 << 20, '{'), env, 1, 6},
      {"no CNI_COMMAND", "", conf("1.0.0"), env, 1, 4},
      {"unknown CNI_COMMAND", "FROB", conf("1.0.0"), env, 1, 4},
      {"no CNI_CONTAINERID", "ADD", conf("1.0.0"), with({{"CNI_CONTAINERID", "<unset>"}}), 1, 4},
      {"no CNI_IFNAME", "ADD", conf("1.0.0"), with({{"CNI_IFNAME", "<unset>"}}), 1, 4},
      {"no CNI_NETNS on ADD", "ADD", conf("1.0.0"), with({{"CNI_NETNS", "<unset>"}}), 1, 4},
      {"no CNI_NETNS on CHECK", "CHECK", conf("1.0.0"), with({{"CNI_NETNS", "<unset>"}}), 1, 4},
      {"ifname too long", "ADD", conf("1.0.0"), with({{"CNI_IFNAME", "abcdefghijklmnopq"}}), 1, 4},
      {"no cniVersion", "ADD", R"({"name":"n","type":"tcpulse","prevResult":{}})", env, 1, 7},
      {"cniVersion 0.2.0", "ADD", conf("0.2.0"), env, 1, 1},
      {"cniVersion 2.0.0", "ADD", conf("2.0.0"), env, 1, 1},
      {"GC on 1.0.0", "GC", conf("1.0.0"), env, 1, 1},
      {"STATUS on 0.4.0", "STATUS", conf("0.4.0"), env, 1, 1},
      {"no name", "ADD", R"({"cniVersion":"1.0.0","type":"tcpulse","prevResult":{}})", env, 1, 7},
      {"no prevResult on ADD", "ADD", no_prev.dump(), env, 1, 7},
      {"no prevResult on CHECK", "CHECK", no_prev.dump(), env, 1, 7},
      {"prevResult a list", "ADD", conf("1.0.0", {{"prevResult", json::array()}}), env, 1, 7},
      {"prevResult.interfaces an object", "ADD", conf("1.0.0", {{"prevResult", {{"interfaces", json::object()}}}}), env, 1, 7},
      {"failClosed a string", "ADD", conf("1.0.0", {{"failClosed", "no"}}), env, 1, 7},
      {"pinDir relative", "ADD", conf("1.0.0", {{"pinDir", "x"}}), env, 1, 7},
      {"attachMode unknown", "ADD", conf("1.0.0", {{"attachMode", "ebpf"}}), env, 1, 7},
      {"GC list not a list", "GC", conf("1.1.0", {{"cni.dev/valid-attachments", "all"}}), env, 1, 7},
      {"GC attachment without containerID", "GC", conf("1.1.0", {{"cni.dev/valid-attachments", {{{"ifname", "eth0"}}}}}), env, 1, 7},
      {"bogus netns path, fail open", "ADD", conf("1.0.0"), with({{"CNI_NETNS", "/run/netns/does-not-exist"}}), 0, 0},
      {"bogus netns path, fail closed", "ADD", conf("1.0.0", {{"failClosed", true}}), with({{"CNI_NETNS", "/run/netns/does-not-exist"}}), 1, 5},
      {"CHECK of a bogus netns", "CHECK", conf("1.0.0"), with({{"CNI_NETNS", "/run/netns/does-not-exist"}}), 1, 3},
      {"CHECK of a pod never added", "CHECK", conf("1.0.0"), env, 1, 100},
      {"non-veth interface: passed through", "ADD", conf("1.0.0", {{"failClosed", true}}), with({{"CNI_NETNS", "/run/netns/" + dummy_ns}}), 0, 0},
      {"ifname missing in the netns", "ADD", conf("1.0.0"), with({{"CNI_IFNAME", "eth9"}}), 0, 0},
      {"DEL of a pod never added", "DEL", conf("1.0.0"), env, 0, 0},
      {"DEL with empty netns, no prevResult", "DEL", no_prev.dump(), with({{"CNI_NETNS", ""}}), 0, 0},
  };
  ASSERT_GE(cases.size(), 25u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto e = c.env;
    if (!c.command.empty()) e["CNI_COMMAND"] = c.command;
    e.emplace("CNI_PATH", "/usr/lib/cni");
    auto r = run_command({plugin_binary().string()}, c.stdin_text, e);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.out << r.err;
    if (c.cni_code) {
      auto out = json::parse(r.out, nullptr, false);
      ASSERT_TRUE(out.is_object()) << r.out;
      EXPECT_EQ(out["code"], c.cni_code) << r.out;
      EXPECT_TRUE(out["msg"].is_string());
    }
    EXPECT_EQ(state(agent), before) << "state changed";
  }
}

}  // namespace
}  // namespace tcpulse::test
