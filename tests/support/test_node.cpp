#include "tests/support/test_node.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/command.h"

namespace tcpulse::test {

namespace {

std::atomic<int> node_counter{0};

// Each test process gets its own /24 so parallel test binaries never collide.
std::string subnet_for(int pid, int n) {
  return "10." + std::to_string(200 + (pid % 50)) + "." + std::to_string((pid / 50 + n) % 250) +
         ".0/24";
}

}  // namespace

TestNode::TestNode(std::filesystem::path pin_dir, const std::string& tcpulse_config,
                   const std::string& cni_version, bool chain_tcpulse) {
  int n = node_counter++;
  id_ = std::to_string(getpid()) + "-" + std::to_string(n);
  bridge_ = "tpb" + std::to_string(getpid() % 1000000) + "x" + std::to_string(n);
  char tmpl[] = "/tmp/tcpulse-node-XXXXXX";
  dir_ = mkdtemp(tmpl);
  nlohmann::json tcpulse = nlohmann::json::parse(tcpulse_config);
  tcpulse["type"] = "tcpulse";
  tcpulse["pinDir"] = pin_dir.string();
  tcpulse["stateDir"] = state_dir_for(pin_dir).string();
  nlohmann::json conf = {
      {"cniVersion", cni_version},
      {"name", "tcpulse-test-" + id_},
      {"plugins",
       {{{"type", "bridge"},
         {"bridge", bridge_},
         {"isGateway", true},
         {"ipMasq", false},
         {"ipam",
          {{"type", "host-local"},
           {"ranges", {{{{"subnet", subnet_for(getpid(), n)}}}}},
           {"dataDir", (dir_ / "ipam").string()}}}},
        tcpulse}}};
  if (!chain_tcpulse) conf["plugins"].erase(1);
  conflist_ = dir_ / "net.conflist";
  std::ofstream(conflist_) << conf.dump(2);
}

std::map<std::string, std::string> TestNode::chain_env() const {
  return {{"CNI_PATH", "/usr/lib/cni:" TCPULSE_BIN_DIR}, {"CNI_CACHE_DIR", (dir_ / "cache").string()}};
}

std::string TestNode::cni_args(const TestPod& pod, const std::string& pod_namespace) const {
  return "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + pod_namespace + ";K8S_POD_NAME=" + pod.name +
         ";K8S_POD_UID=uid-" + pod.container_id;
}

TestPod TestNode::add_pod(const std::string& name, const std::string& pod_namespace) {
  TestPod pod;
  pod.name = name;
  pod.container_id = "ctr-" + id_ + "-" + name;
  pod.netns_name = "tpn-" + id_ + "-" + name;
  pod.netns_path = "/run/netns/" + pod.netns_name;
  run_checked({"ip", "netns", "add", pod.netns_name});
  {
    std::lock_guard lock(mu_);
    pods_[name] = pod;  // registered before ADD so the destructor cleans up a half-made pod
  }
  std::string chain = (source_dir() / "hack/lib/cni-chain.sh").string();
  std::string out = run_checked({chain, "ADD", conflist_.string(), pod.container_id,
                                 pod.netns_path, "eth0", cni_args(pod, pod_namespace)},
                                "", chain_env());
  auto result = nlohmann::json::parse(out);
  std::string cidr = result["ips"][0]["address"];
  pod.ip = cidr.substr(0, cidr.find('/'));
  pod.result = out;
  std::lock_guard lock(mu_);
  pods_[name] = pod;
  return pod;
}

std::string TestNode::check_pod(const std::string& name) {
  TestPod pod;
  {
    std::lock_guard lock(mu_);
    pod = pods_.at(name);
  }
  std::string chain = (source_dir() / "hack/lib/cni-chain.sh").string();
  return run_checked({chain, "CHECK", conflist_.string(), pod.container_id, pod.netns_path, "eth0",
                      "IgnoreUnknown=1"},
                     "", chain_env());
}

void TestNode::del_pod(const std::string& name) {
  TestPod pod;
  {
    std::lock_guard lock(mu_);
    auto it = pods_.find(name);
    if (it == pods_.end()) return;
    pod = it->second;
    pods_.erase(it);
  }
  std::string chain = (source_dir() / "hack/lib/cni-chain.sh").string();
  auto r = run_command({chain, "DEL", conflist_.string(), pod.container_id, pod.netns_path, "eth0",
                        "IgnoreUnknown=1"},
                       "", chain_env());
  run_command({"ip", "netns", "del", pod.netns_name});
  if (r.exit_code != 0) throw std::runtime_error("DEL " + name + " failed: " + r.out + r.err);
}

TestNode::~TestNode() {
  while (true) {
    std::string name;
    {
      std::lock_guard lock(mu_);
      if (pods_.empty()) break;
      name = pods_.begin()->first;
    }
    try {
      del_pod(name);
    } catch (...) {
    }
  }
  run_command({"ip", "link", "del", bridge_});
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace tcpulse::test
