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
#include "tests/support/file_bytes.h"
#include "tests/support/command.h"
#include "tests/support/eventually.h"
#include "tests/support/podman.h"
#include "tests/support/privileges.h"
#include "tests/support/prometheus_text.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr uint64_t kBlobBytes = 1'000'000;

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
  if (!podman_available())
    GTEST_SKIP() << "SKIPPED: podman or busybox-static missing (hack/deps.sh installs them)";

  fs::path pin_dir = test_pin_dir("e2e");
  AgentProcess agent(pin_dir);
  agent.wait_ready();
  Podman podman;
  std::string network = "tcpulse-e2e-" + std::to_string(getpid());
  std::string bridge = "tpe" + std::to_string(getpid() % 1000000);
  // The network as podman writes it; tcpulse-install chains the plugin into it and copies the
  // binary into the CNI bin dir libcni searches, as it would on a node.
  json conflist = {
      {"cniVersion", "1.0.0"},
      {"name", network},
      {"plugins",
       {{{"type", "bridge"}, {"bridge", bridge}, {"isGateway", true}, {"ipMasq", false},
         {"ipam", {{"type", "host-local"},
                   {"ranges", {{{{"subnet", "10.23" + std::to_string(getpid() % 10) + ".0.0/24"}}}}},
                   {"dataDir", (podman.dir() / "ipam").string()}}}}}}};
  fs::path conflist_path = podman.net_dir() / (network + ".conflist");
  std::string written = conflist.dump(3);  // podman's indent
  std::ofstream(conflist_path) << written;
  json plugin_config = {{"pinDir", pin_dir.string()}, {"stateDir", state_dir_for(pin_dir).string()}};
  std::vector<std::string> dirs = {"--conf-dir", podman.net_dir().string(), "--bin-dir", podman.bin_dir().string()};
  auto installer = [&](std::vector<std::string> args) {
    args.insert(args.begin(), installer_binary().string());
    args.insert(args.end(), dirs.begin(), dirs.end());
    return run_checked(args);
  };
  installer({"install", "--plugin", plugin_binary().string(), "--config", plugin_config.dump()});
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
  installer({"uninstall"});
  EXPECT_EQ(file_bytes(conflist_path), written);
  EXPECT_FALSE(fs::exists(podman.bin_dir() / "tcpulse"));
  EXPECT_TRUE(fs::is_empty(PinLayout(pin_dir).links_dir()));
  EXPECT_EQ(agent.stop(), 0);
  std::error_code ec;
  fs::remove_all(state_dir_for(pin_dir), ec);
}

}  // namespace
}  // namespace tcpulse::test
