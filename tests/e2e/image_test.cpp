// The container image, built by hack/build-image.sh with podman (offline, FROM scratch): its
// binaries start from its own libraries, it has no shell, and its installer, run read-only with
// a node's CNI dirs mounted as the chart mounts them, chains a plugin that runs on the host
// (static: the node's libraries do not matter) and restores the conflist byte for byte.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/file_bytes.h"
#include "tests/support/command.h"
#include "tests/support/podman.h"
#include "tests/support/tmux_session.h"

namespace tcpulse::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
const std::string kImage = "localhost/tcpulse:dev";

TEST(Image, BuildsOfflineRunsItsBinariesAndItsInstallerChainsAStaticPlugin) {
  if (!podman_available()) GTEST_SKIP() << "SKIPPED: podman missing (hack/deps.sh installs it)";
  Podman podman;
  auto built = run_command({(source_dir() / "hack/build-image.sh").string(), "--podman-root", podman.dir().string(),
                             "--no-build"});  // ctest's build made them
  ASSERT_EQ(built.exit_code, 0) << built.err;
  std::printf("%s", built.err.c_str());  // the image's size, for the README

  auto run_in_image = [&](std::vector<std::string> args, std::vector<std::string> mounts = {}) {
    std::vector<std::string> argv = {"run", "--rm", "--network", "none", "--read-only"};
    for (const auto& o : Podman::run_options()) argv.push_back(o);
    for (const auto& m : mounts) argv.insert(argv.end(), {"-v", m});
    argv.push_back(kImage);
    argv.insert(argv.end(), args.begin(), args.end());
    return podman.run(argv);
  };
  auto version = run_in_image({"tcpulse-agent", "--version"});
  ASSERT_EQ(version.exit_code, 0) << version.err;
  EXPECT_EQ(version.out.rfind("tcpulse-agent " TCPULSE_VERSION, 0), 0u) << version.out;
  auto help = run_in_image({"tcpulse-install", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  EXPECT_NE(help.out.find("usage: tcpulse-install"), std::string::npos);
  EXPECT_NE(run_in_image({"sh", "-c", "true"}).exit_code, 0) << "the image has a shell";
  EXPECT_EQ(run_in_image({"tcpulsectl", "--help"}).exit_code, 0);
  auto labels = json::parse(podman.checked({"image", "inspect", kImage}))[0]["Labels"];
  EXPECT_EQ(labels["org.opencontainers.image.version"], TCPULSE_VERSION);

  // The node's CNI dirs, mounted where the chart mounts them.
  fs::path node = podman.dir() / "node";
  fs::create_directories(node / "net.d");
  fs::create_directories(node / "bin");
  std::string conflist = R"({"cniVersion":"1.0.0","name":"k8s","plugins":[{"type":"bridge"},{"type":"portmap"}]})";
  std::ofstream(node / "net.d/10-k8s.conflist") << conflist;
  std::vector<std::string> mounts = {(node / "net.d").string() + ":/host/etc/cni/net.d",
                                     (node / "bin").string() + ":/host/opt/cni/bin"};
  std::vector<std::string> dirs = {"--conf-dir", "/host/etc/cni/net.d", "--bin-dir", "/host/opt/cni/bin"};
  auto install = run_in_image({"tcpulse-install", "install", dirs[0], dirs[1], dirs[2], dirs[3]}, mounts);
  ASSERT_EQ(install.exit_code, 0) << install.err << install.out;
  EXPECT_EQ(json::parse(file_bytes(node / "net.d/10-k8s.conflist"))["plugins"].back()["type"], "tcpulse");

  // The copied plugin is static and answers on this host.
  std::string plugin = file_bytes(node / "bin/tcpulse");
  ASSERT_GT(plugin.size(), 64u);
  EXPECT_EQ(run_command({"readelf", "-l", (node / "bin/tcpulse").string()}).out.find("INTERP"), std::string::npos)
      << "the plugin is dynamically linked";
  auto answer = run_command({(node / "bin/tcpulse").string()}, "", {{"CNI_COMMAND", "VERSION"}});
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  EXPECT_TRUE(json::parse(answer.out).contains("supportedVersions")) << answer.out;

  auto uninstall = run_in_image({"tcpulse-install", "uninstall", dirs[0], dirs[1], dirs[2], dirs[3]}, mounts);
  ASSERT_EQ(uninstall.exit_code, 0) << uninstall.err;
  EXPECT_EQ(file_bytes(node / "net.d/10-k8s.conflist"), conflist);
  EXPECT_TRUE(fs::is_empty(node / "bin"));

  // tcpulsectl top draws in a terminal from inside the image (its terminfo is there): run as
  // `kubectl exec -it` would, in tmux, with no agent to reach.
  if (tmux_available()) {
    TmuxSession tmux(120, 30);
    std::string prefix = podman.shell_command() + " run --rm -it --network none -e TERM=xterm-256color";
    for (const auto& o : Podman::run_options()) prefix += " " + o;
    prefix += " ";
    tmux.keys({prefix + kImage + " tcpulsectl --agent http://127.0.0.1:1 top -d 0.3; echo EXIT=$?", "Enter"});
    EXPECT_TRUE(tmux.shows("tcpulse top - agent 127.0.0.1:1", 30)) << tmux.screen();
    EXPECT_TRUE(tmux.shows("reconnecting")) << tmux.screen();
    tmux.keys({"q"});
    EXPECT_TRUE(tmux.shows("EXIT=0")) << tmux.screen();
  } else {
    std::printf("SKIPPED the terminal part: no tmux\n");
  }
  podman.run({"rmi", "-f", kImage});
}

}  // namespace
}  // namespace tcpulse::test
