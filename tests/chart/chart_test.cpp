// charts/tcpulse as Helm's engine renders it: every object valid and complete, the DaemonSet with
// every host path and the least capabilities the agent and installer need, every flag one the
// binaries accept, and each value that should change the manifests changing them.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "tests/support/chart_renderer.h"
#include "tests/support/agent_process.h"
#include "tests/support/command.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

#define REQUIRE_RENDERER()                                                                           \
  if (!render_chart_available())                                                                    \
  GTEST_SKIP() << "SKIPPED: no chart renderer (build/bin/render-chart needs golang-go and "         \
                  "golang-github-masterminds-sprig-dev; hack/deps.sh installs them)"

const json& container(const json& pod_spec, const std::string& list, const std::string& name) {
  for (const auto& c : pod_spec[list])
    if (c["name"] == name) return c;
  throw std::runtime_error("no container " + name + " in " + list);
}

std::vector<std::string> args_of(const json& c) {
  std::vector<std::string> out;
  for (const auto& part : {"command", "args"})
    if (c.contains(part))
      for (const auto& a : c[part]) out.push_back(a.get<std::string>());
  return out;
}

// The value after a flag in a container's arguments ("" if absent).
std::string flag_value(const json& c, const std::string& flag) {
  auto args = args_of(c);
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) return args[i + 1];
  return "";
}

bool has_arg(const json& c, const std::string& arg) {
  auto args = args_of(c);
  return std::find(args.begin(), args.end(), arg) != args.end();
}

const json* mount_at(const json& c, const std::string& path) {
  if (!c.contains("volumeMounts")) return nullptr;
  for (const auto& m : c["volumeMounts"])
    if (m["mountPath"] == path) return &m;
  return nullptr;
}

std::string host_path_of(const json& pod_spec, const std::string& volume) {
  for (const auto& v : pod_spec["volumes"])
    if (v["name"] == volume) return v["hostPath"]["path"];
  return "";
}

const json& pod_spec_of(const RenderedChart& chart) { return chart.get("DaemonSet")["spec"]["template"]["spec"]; }

RenderedChart rendered(const std::vector<std::string>& args = {}) {
  RenderedChart chart = render_chart(args);
  if (chart.exit_code != 0) throw std::runtime_error("render failed: " + chart.error);
  return chart;
}

TEST(Chart, EveryObjectIsCompleteAndEveryMountHasItsVolume) {
  REQUIRE_RENDERER();
  auto chart = rendered({"--set", "prometheus.serviceMonitor.enabled=true", "--set", "prometheus.podMonitor.enabled=true",
                         "--set", "prometheusRule.enabled=true", "--set", "dashboard.enabled=true",
                         "--namespace", "monitoring"});
  std::set<std::string> kinds;
  for (const auto& o : chart.objects) {
    const json& m = o["object"];
    SCOPED_TRACE(o["source"].get<std::string>());
    ASSERT_TRUE(m.contains("apiVersion") && m.contains("kind") && m["metadata"].contains("name")) << m.dump();
    EXPECT_EQ(m["metadata"]["namespace"], "monitoring");
    EXPECT_EQ(m["metadata"]["labels"]["app.kubernetes.io/instance"], "tcpulse");
    kinds.insert(m["kind"].get<std::string>());
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"ConfigMap", "DaemonSet", "PodMonitor", "PrometheusRule", "Service",
                                          "ServiceAccount", "ServiceMonitor"}));

  const json& ds = chart.get("DaemonSet");
  EXPECT_EQ(ds["spec"]["selector"]["matchLabels"], json({{"app.kubernetes.io/name", "tcpulse"},
                                                         {"app.kubernetes.io/instance", "tcpulse"}}));
  for (const auto& [k, v] : ds["spec"]["selector"]["matchLabels"].items())
    EXPECT_EQ(ds["spec"]["template"]["metadata"]["labels"][k], v);
  const json& spec = pod_spec_of(chart);
  EXPECT_EQ(spec["hostNetwork"], true);
  EXPECT_EQ(spec["dnsPolicy"], "ClusterFirstWithHostNet");
  EXPECT_EQ(spec["automountServiceAccountToken"], false);
  EXPECT_EQ(spec["serviceAccountName"], chart.get("ServiceAccount")["metadata"]["name"]);
  std::set<std::string> volumes;
  for (const auto& v : spec["volumes"]) volumes.insert(v["name"].get<std::string>());
  for (const char* list : {"initContainers", "containers"})
    for (const auto& c : spec[list]) {
      SCOPED_TRACE(c["name"].get<std::string>());
      EXPECT_EQ(c["image"], "ghcr.io/tcpulse/tcpulse:0.11.0");
      EXPECT_TRUE(c["resources"]["requests"].contains("memory"));
      EXPECT_TRUE(c["resources"]["limits"].contains("memory"));
      for (const auto& m : c["volumeMounts"]) EXPECT_TRUE(volumes.count(m["name"])) << m.dump();
      const json& sc = c["securityContext"];
      EXPECT_EQ(sc.value("privileged", false), false);
      EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
      EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
      EXPECT_EQ(sc["capabilities"]["drop"], json::array({"ALL"}));
      EXPECT_EQ(sc["seccompProfile"]["type"], "RuntimeDefault");
    }
  // A rolling update never runs two agents on a node (they bind the same host port).
  EXPECT_EQ(ds["spec"]["updateStrategy"]["rollingUpdate"]["maxSurge"], 0);
  EXPECT_EQ(ds["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"], 1);
}

TEST(Chart, TheAgentHasEveryHostPathAndOnlyTheCapabilitiesItNeeds) {
  REQUIRE_RENDERER();
  auto chart = rendered();
  const json& spec = pod_spec_of(chart);
  const json& agent = container(spec, "containers", "agent");
  EXPECT_EQ(agent["securityContext"]["capabilities"]["add"], json::array({"BPF", "NET_ADMIN", "SYS_ADMIN"}));
  struct Expected {
    std::string path, host, propagation;
    bool read_only;
  };
  for (const auto& e : std::vector<Expected>{{"/sys/fs/bpf", "/sys/fs/bpf", "HostToContainer", false},
                                             {"/run/tcpulse", "/run/tcpulse", "", false},
                                             {"/var/lib/cni/results", "/var/lib/cni/results", "", true},
                                             {"/run/netns", "/run/netns", "HostToContainer", true}}) {
    SCOPED_TRACE(e.path);
    const json* m = mount_at(agent, e.path);
    ASSERT_TRUE(m);
    EXPECT_EQ(host_path_of(spec, (*m)["name"]), e.host);
    EXPECT_EQ(m->value("mountPropagation", ""), e.propagation);
    EXPECT_EQ(m->value("readOnly", false), e.read_only);
  }
  // The agent's flags point at those mounts, and the probes at its port.
  EXPECT_EQ(flag_value(agent, "--pin-dir"), "/sys/fs/bpf/tcpulse");
  EXPECT_EQ(flag_value(agent, "--state-dir"), "/run/tcpulse");
  EXPECT_EQ(flag_value(agent, "--cni-cache-dir"), "/var/lib/cni/results");
  EXPECT_EQ(flag_value(agent, "--listen"), "0.0.0.0:9965");
  EXPECT_FALSE(has_arg(agent, "--cleanup-on-exit"));  // a rolling update keeps the programs attached
  EXPECT_EQ(agent["ports"][0]["containerPort"], 9965);
  for (const char* probe : {"readinessProbe", "livenessProbe"}) {
    EXPECT_EQ(agent[probe]["httpGet"]["path"], "/healthz");
    EXPECT_EQ(agent[probe]["httpGet"]["port"], agent["ports"][0]["name"]);
  }
  EXPECT_EQ(chart.get("DaemonSet")["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"], "9965");

  // The installer (init) and the chain keeper write the node's CNI dirs, with no capability.
  for (auto [list, name, command] : {std::tuple{"initContainers", "install-cni", "install"},
                                     std::tuple{"containers", "chain", "watch"}}) {
    SCOPED_TRACE(name);
    const json& c = container(spec, list, name);
    EXPECT_EQ(args_of(c)[0], "/usr/local/bin/tcpulse-install");
    EXPECT_EQ(args_of(c)[1], command);
    EXPECT_FALSE(c["securityContext"]["capabilities"].contains("add"));
    EXPECT_EQ(host_path_of(spec, (*mount_at(c, flag_value(c, "--conf-dir")))["name"]), "/etc/cni/net.d");
    EXPECT_EQ(host_path_of(spec, (*mount_at(c, flag_value(c, "--bin-dir")))["name"]), "/opt/cni/bin");
    // The plugin is told the agent's dirs.
    json config = json::parse(flag_value(c, "--config"));
    EXPECT_EQ(config["pinDir"], flag_value(container(spec, "containers", "agent"), "--pin-dir"));
    EXPECT_EQ(config["stateDir"], flag_value(container(spec, "containers", "agent"), "--state-dir"));
  }
  EXPECT_TRUE(has_arg(container(spec, "containers", "chain"), "--uninstall-on-exit"));
}

TEST(Chart, EveryFlagIsOneTheBinariesAccept) {
  REQUIRE_RENDERER();
  auto chart = rendered({"--set", "agent.peerMetrics=true", "--set", "agent.connectionLog=connections.log",
                         "--set", "agent.cleanupOnExit=true", "--set", "cni.network=k8s-pod-network",
                         "--set-json", R"(agent.hostNetworkPods.uplinks=["eth0"])"});
  std::string agent_help = run_command({agent_binary().string(), "--help"}).err +
                           run_command({agent_binary().string(), "--help"}).out;
  std::string installer_help = run_command({installer_binary().string(), "--help"}).out;
  const json& spec = pod_spec_of(chart);
  for (const char* list : {"initContainers", "containers"})
    for (const auto& c : spec[list]) {
      const std::string& help = c["name"] == "agent" ? agent_help : installer_help;
      for (const auto& a : args_of(c))
        if (a.rfind("--", 0) == 0) {
          EXPECT_NE(help.find(a), std::string::npos) << c["name"] << ": " << a;
        }
    }
  const json& agent = container(spec, "containers", "agent");
  EXPECT_TRUE(has_arg(agent, "--peer-metrics"));
  EXPECT_TRUE(has_arg(agent, "--cleanup-on-exit"));
  EXPECT_EQ(flag_value(agent, "--connection-log"), "/var/log/tcpulse/connections.log");
  EXPECT_EQ(host_path_of(spec, (*mount_at(agent, "/var/log/tcpulse"))["name"]), "/var/log/tcpulse");
  EXPECT_EQ(flag_value(container(spec, "containers", "chain"), "--network"), "k8s-pod-network");
}

TEST(Chart, ValuesChangeWhatTheyShould) {
  REQUIRE_RENDERER();
  auto chart = rendered({"--set", "agent.pinDir=/sys/fs/bpf/tcp", "--set", "cni.confDir=/etc/cni/multus/net.d",
                         "--set", "cni.binDir=/home/kubernetes/bin", "--set", "cni.uninstallOnExit=false",
                         "--set", "agent.port=19965", "--set", "image.tag=1.2.3", "--set", "prometheus.annotations=false",
                         "--set-json", R"(cni.pluginConfig={"failClosed":true,"pinDir":"/elsewhere"})",
                         "--set", "agent.connectionLog=-", "--set", "agent.hostPID=true"});
  const json& spec = pod_spec_of(chart);
  const json& agent = container(spec, "containers", "agent");
  const json& chain = container(spec, "containers", "chain");
  EXPECT_EQ(flag_value(agent, "--pin-dir"), "/sys/fs/bpf/tcp");
  json config = json::parse(flag_value(chain, "--config"));
  EXPECT_EQ(config["pinDir"], "/sys/fs/bpf/tcp") << "the plugin must write where the agent reads";
  EXPECT_EQ(config["failClosed"], true);
  EXPECT_EQ(host_path_of(spec, (*mount_at(chain, "/host/etc/cni/net.d"))["name"]), "/etc/cni/multus/net.d");
  EXPECT_EQ(host_path_of(spec, (*mount_at(chain, "/host/opt/cni/bin"))["name"]), "/home/kubernetes/bin");
  EXPECT_FALSE(has_arg(chain, "--uninstall-on-exit"));
  EXPECT_EQ(flag_value(agent, "--listen"), "0.0.0.0:19965");
  EXPECT_EQ(agent["ports"][0]["containerPort"], 19965);
  EXPECT_EQ(agent["image"], "ghcr.io/tcpulse/tcpulse:1.2.3");
  EXPECT_FALSE(chart.get("DaemonSet")["spec"]["template"]["metadata"].value("annotations", json::object()).contains(
      "prometheus.io/scrape"));
  EXPECT_EQ(flag_value(agent, "--connection-log"), "-");
  EXPECT_EQ(mount_at(agent, "/var/log/tcpulse"), nullptr);
  EXPECT_EQ(spec["hostPID"], true);
  EXPECT_EQ(chart.count("Service"), 0u);
  EXPECT_EQ(chart.count("PrometheusRule"), 0u);
}

TEST(Chart, HostNetworkPodsAreOffUntilUplinksAreNamedAndThenMountWhatTheAgentReads) {
  REQUIRE_RENDERER();
  const json& off = container(pod_spec_of(rendered()), "containers", "agent");
  EXPECT_FALSE(has_arg(off, "--uplink"));
  EXPECT_EQ(mount_at(off, "/host/sys/fs/cgroup"), nullptr);

  auto chart = rendered({"--set-json", R"(agent.hostNetworkPods.uplinks=["eth0","bond0"])", "--set",
                         "agent.hostNetworkPods.uplinkIngress=xdp"});
  const json& spec = pod_spec_of(chart);
  const json& agent = container(spec, "containers", "agent");
  EXPECT_EQ(flag_value(agent, "--uplink"), "eth0,bond0");
  EXPECT_EQ(flag_value(agent, "--uplink-ingress"), "xdp");
  EXPECT_EQ(spec["hostNetwork"], true) << "the uplinks are the node's interfaces";
  // Every path the agent is told is a read-only mount of that host path.
  std::string root = flag_value(agent, "--cgroup-root");
  ASSERT_TRUE(mount_at(agent, root)) << root;
  EXPECT_EQ(host_path_of(spec, (*mount_at(agent, root))["name"]), "/sys/fs/cgroup");
  EXPECT_TRUE(mount_at(agent, root)->value("readOnly", false));
  std::vector<std::string> dirs;
  const json& args = args_of(agent);
  for (size_t i = 0; i + 1 < args.size(); i++)
    if (args[i] == "--runtime-state-dir") dirs.push_back(args[i + 1]);
  ASSERT_EQ(dirs.size(), 2u);
  for (const auto& d : dirs) {
    ASSERT_TRUE(mount_at(agent, d)) << d;
    EXPECT_EQ("/host" + host_path_of(spec, (*mount_at(agent, d))["name"]), d);
    EXPECT_TRUE(mount_at(agent, d)->value("readOnly", false));
  }
  EXPECT_NE(render_chart({"--set-json", R"(agent.hostNetworkPods.uplinks=["eth/0"])"}).exit_code, 0);
  EXPECT_NE(render_chart({"--set", "agent.hostNetworkPods.uplinkIngress=skb"}).exit_code, 0);
}

TEST(Chart, MonitorsSelectTheAgentsAndTheDashboardIsTheFile) {
  REQUIRE_RENDERER();
  auto chart = rendered({"--set", "prometheus.serviceMonitor.enabled=true", "--set", "prometheus.podMonitor.enabled=true",
                         "--set", "dashboard.enabled=true", "--set", "prometheus.serviceMonitor.labels.release=kps"});
  const json& pod_labels = chart.get("DaemonSet")["spec"]["template"]["metadata"]["labels"];
  const json& service = chart.get("Service");
  EXPECT_EQ(service["spec"]["clusterIP"], "None");
  for (const auto& [k, v] : service["spec"]["selector"].items()) EXPECT_EQ(pod_labels[k], v);
  EXPECT_EQ(service["spec"]["ports"][0]["targetPort"], "metrics");
  const json& sm = chart.get("ServiceMonitor");
  EXPECT_EQ(sm["metadata"]["labels"]["release"], "kps");
  for (const auto& [k, v] : sm["spec"]["selector"]["matchLabels"].items()) EXPECT_EQ(service["metadata"]["labels"][k], v);
  EXPECT_EQ(sm["spec"]["endpoints"][0]["port"], "metrics");
  const json& pm = chart.get("PodMonitor");
  for (const auto& [k, v] : pm["spec"]["selector"]["matchLabels"].items()) EXPECT_EQ(pod_labels[k], v);
  const json& cm = chart.get("ConfigMap");
  EXPECT_EQ(cm["metadata"]["labels"]["grafana_dashboard"], "1");
  std::ifstream file(source_dir() / "charts/tcpulse/dashboards/tcpulse.json");
  EXPECT_EQ(json::parse(cm["data"]["tcpulse.json"].get<std::string>()), json::parse(file));
}

TEST(Chart, TheSchemaRefusesBadValuesWithAMessage) {
  REQUIRE_RENDERER();
  struct Case {
    std::vector<std::string> args;
    std::string needle;
  };
  for (const auto& c : std::vector<Case>{{{"--set", "agent.flowsMax=12"}, "agent.flowsMax"},
                                         {{"--set", "agent.logLevel=loud"}, "agent.logLevel"},
                                         {{"--set", "agent.pinDir=relative"}, "agent.pinDir"},
                                         {{"--set", "agent.port=70000"}, "agent.port"},
                                         {{"--set", "agent.connectionLog=/abs/path"}, "agent.connectionLog"},
                                         {{"--set", "cni.pluginConfig.attachMode=xdp2"}, "attachMode"},
                                         {{"--set", "prometheusRule.rttP99Seconds=fast"}, "rttP99Seconds"},
                                         {{"--set", "agnet.port=1"}, "agnet"}}) {
    auto r = render_chart(c.args);
    EXPECT_NE(r.exit_code, 0) << c.args[1];
    EXPECT_NE(r.error.find(c.needle), std::string::npos) << r.error;
  }
}

TEST(Chart, NotesRender) {
  REQUIRE_RENDERER();
  auto r = run_command({render_chart_binary().string(), "--notes", "--show-only", "templates/NOTES.txt",
                        "--set", "prometheus.annotations=false", (source_dir() / "charts/tcpulse").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tcpulse-install status"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Prometheus will not find the agents"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace tcpulse::test
