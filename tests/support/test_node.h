// TestNode: a throwaway local "node" for integration tests — a bridge network whose conflist
// chains tcpulse after the real bridge + host-local plugins, pods as network namespaces created
// the way a runtime does it (hack/lib/cni-chain.sh), all names unique to this process. The
// destructor DELs remaining pods and removes namespaces, bridge, IPAM and cache dirs, even when
// the test failed.
#pragma once

#include <filesystem>
#include <map>
#include <mutex>
#include <string>

namespace tcpulse::test {

struct TestPod {
  std::string name;
  std::string container_id;
  std::string netns_name;
  std::string netns_path;
  std::string ip;
  std::string result;  // the chain's ADD result, as the runtime got it
};

class TestNode {
 public:
  // tcpulse_config: extra keys merged into the tcpulse entry of the conflist (JSON object text).
  // chain_tcpulse false: the conflist has only bridge + host-local (a node before installation).
  explicit TestNode(std::filesystem::path pin_dir, const std::string& tcpulse_config = "{}",
                    const std::string& cni_version = "1.0.0", bool chain_tcpulse = true);
  ~TestNode();
  TestNode(const TestNode&) = delete;
  TestNode& operator=(const TestNode&) = delete;

  // Thread-safe. Returns a copy: other threads may add pods meanwhile.
  TestPod add_pod(const std::string& name, const std::string& pod_namespace = "default");
  void del_pod(const std::string& name);
  std::string check_pod(const std::string& name);  // CHECK's output; throws on failure
  const std::filesystem::path& conflist() const { return conflist_; }
  std::map<std::string, std::string> chain_env() const;
  const std::string& bridge() const { return bridge_; }
  std::string network_name() const { return "tcpulse-test-" + id_; }
  // Where the chain keeps libcni's result cache for this node's pods.
  std::filesystem::path cni_cache_dir() const { return dir_ / "cache" / "results"; }

 private:
  std::string cni_args(const TestPod& pod, const std::string& pod_namespace) const;
  std::string id_;
  std::string bridge_;
  std::filesystem::path dir_;
  std::filesystem::path conflist_;
  mutable std::mutex mu_;  // add_pod/del_pod may run on many threads, as a runtime's do
  std::map<std::string, TestPod> pods_;
};

}  // namespace tcpulse::test
