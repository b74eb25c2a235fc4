// A real CNI runtime end to end: podman 4.3 (libcni, "cni" network backend) runs a server and a
// client container on a network whose conflist chains tcpulse after bridge + host-local; the
// agent must report their traffic under their names, and removing them must remove their
// attachments. Everything podman keeps lives in a scratch root, removed afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tc-bpf/lib/pin_layout.h"
#include "tests/support/test_pins.h"
#include "tests/support/agent_process.h"
#include "tests/support/command.h"
#include "tests/support/eventually.h"
#include "tests/support/privileges.h"
#include "tests/support/prometheus_text.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr uint64_t kBlobBytes = 1'000'000;

// podman with a private root, runroot, config and network dir: it never touches the host's.
class Podman {
 public:
  Podman() {
    char tmpl[] = "/tmp/tcpulse-podman-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(dir_ / "net.d");
    std::ofstream(dir_ / "containers.conf")
        << "[network]\nnetwork_backend = \"cni\"\n"
        << "cni_plugin_dirs = [\"/usr/lib/cni\", \"" TCPULSE_BIN_DIR "\"]\n"
        << "network_config_dir = \"" << (dir_ / "net.d").string() << "\"\n"
        << "[engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\n";
  }
  ~Podman() {
    for (const auto& name : containers_) run({"rm", "-f", "-t", "0", name});
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }

  CommandResult run(std::vector<std::string> args, const std::string& pod_namespace = "") {
    std::vector<std::string> argv = {"podman", "--root", (dir_ / "root").string(), "--runroot",
                                     (dir_ / "runroot").string(), "--storage-driver", "vfs"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::map<std::string, std::string> env = {{"CONTAINERS_CONF", (dir_ / "containers.conf").string()}};
    // podman sends K8S_POD_NAME itself and passes CNI_ARGS from its environment along.
    if (!pod_namespace.empty()) env["CNI_ARGS"] = "K8S_POD_NAMESPACE=" + pod_namespace;
    return run_command(argv, "", env);
  }
  std::string checked(std::vector<std::string> args, const std::string& pod_namespace = "") {
    auto r = run(args, pod_namespace);
    if (r.exit_code != 0) throw std::runtime_error("podman failed: " + r.err + r.out);
    return r.out;
  }
  void started(const std::string& name) { containers_.push_back(name); }

 private:
  fs::path dir_;
  std::vector<std::string> containers_;
};

// A busybox-static rootfs with httpd, wget and a blob to serve: the image, imported (nothing can
// be pulled here).
fs::path make_rootfs_tar(const fs::path& dir) {
  fs::path root = dir / "rootfs";
  for (const char* d : {"bin", "www", "tmp", "etc"}) fs::create_directories(root / d);
  fs::copy_file("/bin/busybox", root / "bin/busybox");
  for (const char* tool : {"sh", "httpd", "wget", "sleep", "touch", "ls"})
    fs::create_symlink("busybox", root / "bin" / tool);
  std::ofstream(root / "www/blob") << std::string(kBlobBytes, 'b');
  run_checked({"tar", "-C", root.string(), "-cf", (dir / "rootfs.tar").string(), "."});
  return dir / "rootfs.tar";
}

TEST(Podman, ContainersAreMonitoredUnderTheirNamesAndDetachedOnRemoval) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  if (access("/usr/bin/podman", X_OK) != 0 || access("/bin/busybox", X_OK) != 0)
    GTEST_SKIP() << "SKIPPED: podman or busybox-static missing (hack/deps.sh installs them)";

  fs::path pin_dir = test_pin_dir("e2e");
  AgentProcess agent(pin_dir);
  agent.wait_ready();
  Podman podman;
  std::string network = "tcpulse-e2e-" + std::to_string(getpid());
  std::string bridge = "tpe" + std::to_string(getpid() % 1000000);
  json conflist = {
      {"cniVersion", "1.0.0"},
      {"name", network},
      {"plugins",
       {{{"type", "bridge"}, {"bridge", bridge}, {"isGateway", true}, {"ipMasq", false},
         {"ipam", {{"type", "host-local"},
                   {"ranges", {{{{"subnet", "10.23" + std::to_string(getpid() % 10) + ".0.0/24"}}}}},
                   {"dataDir", (podman.dir() / "ipam").string()}}}},
        {{"type", "tcpulse"}, {"pinDir", pin_dir.string()},
         {"stateDir", state_dir_for(pin_dir).string()}}}}};
  std::ofstream(podman.dir() / "net.d" / (network + ".conflist")) << conflist.dump(2);
  struct BridgeGuard {
    std::string name;
    ~BridgeGuard() { run_command({"ip", "link", "del", name}); }
  } bridge_guard{bridge};

  podman.checked({"import", make_rootfs_tar(podman.dir()).string(), "localhost/tcpulse-busybox:e2e"});
  std::vector<std::string> run = {"run", "-d", "--network", network, "--ulimit", "nofile=1024:1024",
                                  "--ulimit", "nproc=1024:1024"};
  auto with = [&](std::vector<std::string> extra) {
    auto args = run;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  podman.started("srv");
  podman.checked(with({"--name", "srv", "localhost/tcpulse-busybox:e2e", "httpd", "-f", "-p",
                       "8080", "-h", "/www"}),
                 "e2e");
  auto inspect = json::parse(podman.checked({"inspect", "srv"}));
  std::string ip = inspect[0]["NetworkSettings"]["Networks"][network]["IPAddress"];
  // The client stays up after fetching: podman tears its network down as soon as it exits.
  podman.started("cli");
  podman.checked(with({"--name", "cli", "localhost/tcpulse-busybox:e2e", "sh", "-c",
                       "wget -q -O /tmp/blob http://" + ip + ":8080/blob && touch /tmp/done; sleep 600"}),
                 "e2e");
  ASSERT_TRUE(eventually([&] { return podman.run({"exec", "cli", "ls", "/tmp/done"}).exit_code == 0; }, 20))
      << "the client never fetched the blob";

  auto samples = parse_prometheus_text(agent.get("/metrics"));
  auto bytes = [&](const std::string& pod, const std::string& dir) {
    return find_sample(samples, "tcpulse_bytes_total",
                       {{"namespace", "e2e"}, {"pod", pod}, {"direction", dir}})
        .value_or(-1);
  };
  EXPECT_GE(bytes("srv", "egress"), kBlobBytes);
  EXPECT_LE(bytes("srv", "egress"), kBlobBytes * 1.1);
  EXPECT_GE(bytes("cli", "ingress"), kBlobBytes);
  EXPECT_LT(bytes("cli", "egress"), kBlobBytes / 10.0);
  auto pods = json::parse(agent.get("/pods"));
  ASSERT_EQ(pods.size(), 2u);
  for (const auto& p : pods) EXPECT_EQ(p["network"], network);

  podman.checked({"rm", "-f", "-t", "0", "cli", "srv"});
  EXPECT_TRUE(json::parse(agent.get("/pods")).empty());
  EXPECT_TRUE(fs::is_empty(PinLayout(pin_dir).links_dir()));
  EXPECT_EQ(agent.stop(), 0);
  std::error_code ec;
  fs::remove_all(state_dir_for(pin_dir), ec);
}

}  // namespace
}  // namespace tcpulse::test
