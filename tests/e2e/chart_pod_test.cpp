// The chart's DaemonSet pod, run the way a kubelet would run it (podman here: no Kubernetes on
// this machine), from the image hack/build-image.sh builds and exactly the pod spec Helm's engine
// renders: every container with its command, its capabilities (nothing more), a read-only root
// and the host paths it mounts. The installer init container chains a node's conflist; the agent
// adopts a pod that existed before and sees the pods the chained plugin attaches; the chain
// sidecar puts tcpulse back when the primary CNI rewrites its config; stopping the pod (with
// cleanupOnExit, the uninstall procedure) leaves the conflist byte for byte as it was and no pins.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tc-bpf/lib/pin_layout.h"
#include "tests/support/agent_process.h"
#include "tests/support/file_bytes.h"
#include "tests/support/chart_renderer.h"
#include "tests/support/eventually.h"
#include "tests/support/http_get.h"
#include "tests/support/podman.h"
#include "tests/support/privileges.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/test_node.h"
#include "tests/support/test_pins.h"

namespace tcpulse::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// `podman run` arguments for one container of a pod spec, as a kubelet would set it up.
std::vector<std::string> podman_run_args(const json& pod, const json& c, const std::string& name, bool detach) {
  std::vector<std::string> a = {"run", "--name", name};
  if (detach) a.push_back("-d");
  for (const auto& o : Podman::run_options()) a.push_back(o);
  if (pod.value("hostNetwork", false)) a.insert(a.end(), {"--network", "host"});
  if (pod.value("hostPID", false)) a.insert(a.end(), {"--pid", "host"});
  const json& sc = c["securityContext"];
  if (sc.value("privileged", false)) a.push_back("--privileged");
  if (sc.value("readOnlyRootFilesystem", false)) a.push_back("--read-only");
  if (!sc.value("allowPrivilegeEscalation", true)) a.insert(a.end(), {"--security-opt", "no-new-privileges"});
  if (sc.contains("runAsUser")) a.insert(a.end(), {"--user", std::to_string(sc["runAsUser"].get<int>())});
  for (const auto& cap : sc["capabilities"].value("drop", json::array())) a.insert(a.end(), {"--cap-drop", cap});
  for (const auto& cap : sc["capabilities"].value("add", json::array())) a.insert(a.end(), {"--cap-add", cap});
  for (const auto& m : c["volumeMounts"]) {
    std::string host;
    for (const auto& v : pod["volumes"])
      if (v["name"] == m["name"]) host = v["hostPath"]["path"];
    fs::create_directories(host);  // type: DirectoryOrCreate
    std::string opts = m.value("readOnly", false) ? "ro" : "rw";
    if (m.value("mountPropagation", "") == "HostToContainer") opts += ",rslave";
    a.insert(a.end(), {"-v", host + ":" + m["mountPath"].get<std::string>() + ":" + opts});
  }
  std::vector<std::string> command = c["command"];
  a.insert(a.end(), {"--entrypoint", command[0], c["image"].get<std::string>()});
  a.insert(a.end(), command.begin() + 1, command.end());
  for (const auto& arg : c.value("args", json::array())) a.push_back(arg);
  return a;
}

const json& named(const json& list, const std::string& name) {
  for (const auto& c : list)
    if (c["name"] == name) return c;
  throw std::runtime_error("no container " + name);
}

bool chained(const fs::path& conflist) {
  auto plugins = json::parse(file_bytes(conflist))["plugins"];
  return plugins.back()["type"] == "tcpulse";
}

TEST(ChartPod, RunsFromTheImageWithTheChartsCapabilitiesAndMountsAndUninstallsCleanly) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  if (!podman_available()) GTEST_SKIP() << "SKIPPED: podman missing (hack/deps.sh installs it)";
  if (!render_chart_available()) GTEST_SKIP() << "SKIPPED: no chart renderer (needs golang-go; hack/deps.sh)";
  Podman podman;
  auto built = run_command({(source_dir() / "hack/build-image.sh").string(), "--podman-root", podman.dir().string(),
                            "--no-build", "--tag", "localhost/tcpulse:e2e"});
  ASSERT_EQ(built.exit_code, 0) << built.err;

  fs::path pin_dir = test_pin_dir("chartpod");
  struct DirsGuard {  // the agent's pins and state, even when an assertion ends the test early
    fs::path pins, state;
    ~DirsGuard() {
      std::error_code ec;
      fs::remove_all(pins, ec);
      fs::remove_all(state, ec);
    }
  } dirs_guard{pin_dir, state_dir_for(pin_dir)};
  TestNode node(pin_dir, "{}", "1.0.0", /*chain_tcpulse=*/false);
  const std::string ns = "chartpod";
  node.add_pod("before", ns);  // created before tcpulse: adopted from libcni's cache
  std::string original = file_bytes(node.conflist());
  uint16_t port = free_loopback_port();
  auto chart = render_chart({"--set", "image.repository=localhost/tcpulse", "--set", "image.tag=e2e",
                             "--set", "image.pullPolicy=Never", "--set", "agent.pinDir=" + pin_dir.string(),
                             "--set", "agent.stateDir=" + state_dir_for(pin_dir).string(),
                             "--set", "cni.confDir=" + node.conflist().parent_path().string(),
                             "--set", "cni.binDir=" + (podman.dir() / "node-bin").string(),
                             "--set", "cni.cacheDir=" + node.cni_cache_dir().string(),
                             "--set", "agent.port=" + std::to_string(port), "--set", "agent.interval=0.2",
                             "--set", "agent.cleanupOnExit=true"});
  ASSERT_EQ(chart.exit_code, 0) << chart.error;
  const json& pod = chart.get("DaemonSet")["spec"]["template"]["spec"];
  const std::string suffix = "-" + std::to_string(getpid());

  // The init container: chains the node's conflist and copies the plugin, then exits.
  auto init = podman.run(podman_run_args(pod, named(pod["initContainers"], "install-cni"), "init" + suffix, false));
  podman.run({"rm", "-f", "init" + suffix});
  ASSERT_EQ(init.exit_code, 0) << init.err << init.out;
  EXPECT_TRUE(chained(node.conflist()));
  EXPECT_TRUE(fs::exists(podman.dir() / "node-bin/tcpulse"));

  podman.started("agent" + suffix);
  podman.started("chain" + suffix);
  podman.checked(podman_run_args(pod, named(pod["containers"], "agent"), "agent" + suffix, true));
  podman.checked(podman_run_args(pod, named(pod["containers"], "chain"), "chain" + suffix, true));
  std::string agent = "127.0.0.1:" + std::to_string(port);
  auto pods = [&] {
    try {
      json names = json::array();
      for (const auto& p : json::parse(http_get(agent, "/pods"))) names.push_back(p["pod"]);
      return names;
    } catch (const std::exception&) {
      return json::array();
    }
  };
  ASSERT_TRUE(eventually([&] { return pods() == json::array({"before"}); }, 20))
      << pods() << podman.run({"logs", "agent" + suffix}).err;

  // A pod created now runs the chain the init container wrote: attached by the plugin.
  node.add_pod("after", ns);
  EXPECT_TRUE(eventually([&] { return pods().size() == 2; }, 10)) << pods();

  // The primary CNI rewrites its config: the chain sidecar puts tcpulse back.
  {
    std::ofstream(node.conflist().string() + ".tmp") << original;
    fs::rename(node.conflist().string() + ".tmp", node.conflist());
  }
  EXPECT_TRUE(eventually([&] { return chained(node.conflist()); }, 10)) << podman.run({"logs", "chain" + suffix}).err;

  // Stopping the pod (SIGTERM, as a kubelet does): the sidecar uninstalls, the agent cleans up.
  EXPECT_EQ(podman.run({"stop", "-t", "20", "chain" + suffix, "agent" + suffix}).exit_code, 0);
  EXPECT_EQ(file_bytes(node.conflist()), original);
  EXPECT_FALSE(fs::exists(podman.dir() / "node-bin/tcpulse"));
  EXPECT_FALSE(fs::exists(PinLayout(pin_dir).links_dir())) << "pins left behind";
  std::printf("%s", podman.run({"logs", "chain" + suffix}).err.c_str());
}

}  // namespace
}  // namespace tcpulse::test
