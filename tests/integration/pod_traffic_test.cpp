// End to end on a local node: pods made by the real bridge + host-local plugins with tcpulse
// chained after them, real TCP traffic of a known size, and what the agent exports about it.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/bpffs.h"
#include "tc-bpf/lib/datapath_loader.h"
#include "agent/datapath_maps.h"
#include "tc-bpf/lib/host_veth.h"
#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/pod_attachment.h"
#include "tc-bpf/lib/unique_fd.h"
#include "tc-bpf/lib/tc_attach.h"
#include "tc-bpf/lib/xdp_attach.h"
#include "tests/support/agent_process.h"
#include "tests/support/command.h"
#include "tests/support/datapath_under_test.h"
#include "tests/support/eventually.h"
#include "tests/support/privileges.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/tcp_transfer.h"
#include "tests/support/test_pins.h"
#include "tests/support/test_node.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

std::filesystem::path unique_pin_dir() { return test_pin_dir("test"); }

// Every tcx link on the system whose program is a tcpulse program.
int tcpulse_tcx_links() {
  int count = 0;
  __u32 id = 0;
  while (bpf_link_get_next_id(id, &id) == 0) {
    int fd = bpf_link_get_fd_by_id(id);
    if (fd < 0) continue;
    bpf_link_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == 11 /* TCX */ &&
        is_tcpulse_prog(info.prog_id))
      count++;
    close(fd);
  }
  return count;
}

// The flow of `pod` whose local port is `local_port` in the agent's /flows, if any.
std::optional<json> find_flow(const AgentProcess& agent, const std::string& pod, int local_port) {
  for (const auto& f : json(json::parse(agent.get("/flows"))["flows"]))
    if (f["pod"] == pod && f["local_port"] == local_port) return f;
  return std::nullopt;
}

// The L3 bytes `pod` sent, as /pods says.
uint64_t pod_egress_bytes(const AgentProcess& agent, const std::string& pod) {
  for (const auto& p : json::parse(agent.get("/pods")))
    if (p["pod"] == pod) return p["egress"]["bytes"];
  ADD_FAILURE() << "no pod " << pod << " in " << agent.get("/pods");
  return 0;
}

// Writes all of data to a connected socket.
void send_all(int fd, const std::string& data) {
  for (size_t sent = 0; sent < data.size();) {
    ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << strerror(errno);
    sent += static_cast<size_t>(n);
  }
}

// What a veth saw of one direction of a connection, against the bytes the receiver read: equal
// when nothing was resent; otherwise retransmitted segments pass the veth again, so the payload
// seen lies between the bytes delivered and those plus the bytes retransmitted.
void expect_payload(const json& direction, uint64_t delivered) {
  uint64_t seen = direction["payload_bytes"], resent = direction["retransmitted_bytes"];
  EXPECT_GE(seen, delivered) << direction.dump();
  EXPECT_LE(seen, delivered + resent) << direction.dump();
}

// CNI DEL of the pod through a conflist of tcpulse alone (bridge's DEL would come after ours and
// take the veth): the veth stays, to look at what tcpulse left on it.
void del_tcpulse_only(const TestNode& node, const TestPod& pod) {
  std::string chain = (source_dir() / "hack/lib/cni-chain.sh").string();
  auto conf = json::parse(std::ifstream(node.conflist()));
  conf["plugins"].erase(0);
  std::filesystem::path only_tcpulse = node.conflist().parent_path() / "tcpulse-only.conflist";
  std::ofstream(only_tcpulse) << conf.dump();
  run_checked({chain, "DEL", only_tcpulse.string(), pod.container_id, pod.netns_path, "eth0", "IgnoreUnknown=1"},
              "", node.chain_env());
}

class PodTraffic : public ::testing::Test {
 protected:
  void SetUp() override {
    TCPULSE_SKIP_UNLESS(node_unavailable());
    links_before_ = tcpulse_tcx_links();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(unique_pin_dir(), ec);
    std::filesystem::remove_all(state_dir_for(unique_pin_dir()), ec);
  }
  int links_before_ = 0;
};

TEST_F(PodTraffic, KnownBytesAreReportedForTheRightPodAndDirection) {
  AgentProcess agent(unique_pin_dir(), true, {"--pod-grace", "2"});
  agent.wait_ready();
  PinLayout layout(unique_pin_dir());
  {
    TestNode node(unique_pin_dir());
    const TestPod client = node.add_pod("client", "shop");
    const TestPod server = node.add_pod("server", "shop");
    EXPECT_EQ(tcpulse_tcx_links(), links_before_ + 4);
    node.check_pod("client");  // CHECK passes on an attached pod

    constexpr uint64_t kBytes = 3'000'000;
    auto transfer = tcp_transfer(server.netns_path, server.ip, 7070, client.netns_path, kBytes);
    ASSERT_EQ(transfer.received, kBytes);

    auto samples = parse_prometheus_text(agent.get("/metrics"));
    auto value = [&](const std::string& metric, const std::string& pod, const std::string& dir) {
      auto v = find_sample(samples, metric, {{"namespace", "shop"}, {"pod", pod}, {"direction", dir}});
      EXPECT_TRUE(v) << metric << " " << pod << " " << dir;
      return v.value_or(-1);
    };
    // Bytes include IP and TCP headers: at least the payload, at most ~100 B of headers a packet
    // (plus whatever TCP had to resend).
    double client_out = value("tcpulse_bytes_total", "client", "egress");
    double client_out_pkts = value("tcpulse_packets_total", "client", "egress");
    double client_resent = value("tcpulse_tcp_retransmitted_bytes_total", "client", "egress");
    EXPECT_GE(client_out, kBytes);
    EXPECT_LE(client_out, kBytes + client_resent + client_out_pkts * 100);
    EXPECT_GE(client_out_pkts, kBytes / 65536.0 * 40);  // at least one wire segment per 1.6 KB
    double server_in = value("tcpulse_bytes_total", "server", "ingress");
    EXPECT_GE(server_in, kBytes);
    EXPECT_LE(server_in, kBytes + value("tcpulse_tcp_retransmitted_bytes_total", "server", "ingress") +
                             value("tcpulse_packets_total", "server", "ingress") * 100);
    // The reverse direction carries only ACKs.
    EXPECT_LT(value("tcpulse_bytes_total", "client", "ingress"), kBytes / 10);
    EXPECT_EQ(find_sample(samples, "tcpulse_pod_info", {{"pod", "client"}, {"namespace", "shop"}}), 1);

    // Per flow, the payload is what the client sent and the server read (plus any resends).
    auto flows = json(json::parse(agent.get("/flows"))["flows"]);
    bool client_flow = false, server_flow = false;
    for (const auto& f : flows) {
      if (f["pod"] == "client" && f["local_port"] == transfer.client_port && f["remote_port"] == 7070) {
        expect_payload(f["egress"], kBytes);
        EXPECT_EQ(f["ingress"]["payload_bytes"], 0);
        EXPECT_EQ(f["remote"], server.ip);
        client_flow = true;
      }
      if (f["pod"] == "server" && f["local_port"] == 7070 && f["remote_port"] == transfer.client_port) {
        expect_payload(f["ingress"], kBytes);
        server_flow = true;
      }
    }
    EXPECT_TRUE(client_flow) << flows.dump(1);
    EXPECT_TRUE(server_flow) << flows.dump(1);

    auto pods = json::parse(agent.get("/pods"));
    ASSERT_EQ(pods.size(), 2u);
    for (const auto& p : pods)
      EXPECT_EQ(p["ips"][0], p["pod"] == "client" ? client.ip : server.ip);

    node.del_pod("client");
    node.del_pod("server");
    EXPECT_TRUE(json::parse(agent.get("/pods")).empty());
    EXPECT_TRUE(std::filesystem::is_empty(layout.links_dir()));
    EXPECT_EQ(tcpulse_tcx_links(), links_before_);
    // The deleted pods' series stay for the grace period with their final values, then go.
    auto after_del = [&] {
      return find_sample(parse_prometheus_text(agent.get("/metrics")), "tcpulse_bytes_total",
                         {{"pod", "client"}, {"direction", "egress"}});
    };
    EXPECT_GE(after_del().value_or(0), client_out);
    EXPECT_TRUE(eventually([&] { return !after_del().has_value(); }, 5));
  }
  EXPECT_EQ(agent.stop(), 0) << agent.log();
  EXPECT_FALSE(std::filesystem::exists(unique_pin_dir()));
}

TEST_F(PodTraffic, CountersSurviveAnAgentRestart) {
  auto bytes_of = [](const AgentProcess& agent, const std::string& pod,
                     const std::string& metric = "tcpulse_bytes_total") {
    return find_sample(parse_prometheus_text(agent.get("/metrics")), metric,
                       {{"pod", pod}, {"direction", "egress"}})
        .value_or(-1);
  };
  // The DaemonSet rollout case: the agent stops without cleanup, so maps, programs, links and
  // records stay pinned and the datapath keeps counting while no agent runs.
  auto first = std::make_unique<AgentProcess>(unique_pin_dir(), /*cleanup_on_exit=*/false);
  first->wait_ready();
  TestNode node(unique_pin_dir());
  const TestPod a = node.add_pod("a");
  const TestPod b = node.add_pod("b");
  tcp_transfer(b.netns_path, b.ip, 7071, a.netns_path, 500'000);
  double before = bytes_of(*first, "a");
  ASSERT_GE(before, 500'000);
  ASSERT_EQ(first->stop(), 0) << first->log();
  first.reset();
  ASSERT_TRUE(std::filesystem::exists(PinLayout(unique_pin_dir()).links_dir()));

  tcp_transfer(b.netns_path, b.ip, 7072, a.netns_path, 200'000);  // no agent running

  AgentProcess second(unique_pin_dir());
  second.wait_ready();
  double after = bytes_of(second, "a");
  EXPECT_GE(after, before + 200'000);
  // Headers of ~200 packets and any resends, not a double count.
  EXPECT_LE(after, before + 200'000 + 20'000 +
                       bytes_of(second, "a", "tcpulse_tcp_retransmitted_bytes_total"));
  node.check_pod("a");  // still attached after the restart
}

TEST_F(PodTraffic, ClsactFallbackCountsAndDetaches) {
  // The path for kernels without tcx (< 6.6), forced here: cls_bpf filters instead of links.
  AgentProcess agent(unique_pin_dir());
  agent.wait_ready();
  TestNode node(unique_pin_dir(), R"({"attachMode": "tc"})");
  const TestPod a = node.add_pod("a");
  const TestPod b = node.add_pod("b");
  EXPECT_EQ(tcpulse_tcx_links(), links_before_);  // no tcx links were made
  EXPECT_TRUE(std::filesystem::is_empty(PinLayout(unique_pin_dir()).links_dir()));
  node.check_pod("a");

  auto pods = json::parse(agent.get("/pods"));
  ASSERT_EQ(pods.size(), 2u);
  std::string host_veth_a;
  for (const auto& p : pods)
    if (p["pod"] == "a") host_veth_a = std::to_string(p["host_ifindex"].get<int>());
  auto filters = [&](const char* hook) {
    char name[IF_NAMESIZE] = {};
    if_indextoname(std::stoi(host_veth_a), name);
    return run_command({"tc", "filter", "show", "dev", name, hook}).out;
  };
  EXPECT_NE(filters("ingress").find("tcpulse_ingress"), std::string::npos) << filters("ingress");
  EXPECT_NE(filters("egress").find("tcpulse_egress"), std::string::npos) << filters("egress");

  constexpr uint64_t kBytes = 400'000;
  auto transfer = tcp_transfer(b.netns_path, b.ip, 7073, a.netns_path, kBytes);
  ASSERT_EQ(transfer.received, kBytes);
  auto flow = find_flow(agent, "a", transfer.client_port);
  ASSERT_TRUE(flow) << agent.get("/flows");
  expect_payload((*flow)["egress"], kBytes);

  // DEL removes our filters from a veth that still exists (bridge's DEL comes after ours).
  del_tcpulse_only(node, a);
  EXPECT_EQ(filters("ingress").find("tcpulse_ingress"), std::string::npos) << filters("ingress");
  EXPECT_EQ(filters("egress").find("tcpulse_egress"), std::string::npos);
  EXPECT_EQ(json::parse(agent.get("/pods")).size(), 1u);
}

// attachMode xdp: what the pod sends through the pinned XDP program on its host veth (through
// libxdp, native mode), what it receives on tcx. Both directions count once, CHECK sees the XDP
// program, and DEL takes it off the veth.
TEST_F(PodTraffic, AttachModeXdpCountsBothWaysOnceAndDelRemovesIt) {
  AgentProcess agent(unique_pin_dir());
  agent.wait_ready();
  TestNode node(unique_pin_dir(), R"({"attachMode": "xdp"})");
  const TestPod a = node.add_pod("a");
  const TestPod b = node.add_pod("b");
  auto veth = find_host_veth(a.netns_path, "eth0");
  ASSERT_TRUE(veth && veth->host);
  int ifindex = veth->host->ifindex;
  auto xdp = our_xdp_program(ifindex);
  ASSERT_TRUE(xdp) << "no tcpulse XDP program on the host veth";
  EXPECT_EQ(prog_name_of(*xdp), "tcpulse_xdp_pod");
  // No tcx link on the pod's tc ingress: XDP takes that direction.
  EXPECT_FALSE(read_pinned_link(PinLayout(unique_pin_dir()).link(a.container_id, "eth0", TcHook::Ingress)).value());
  EXPECT_TRUE(read_pinned_link(PinLayout(unique_pin_dir()).link(a.container_id, "eth0", TcHook::Egress)).value());
  node.check_pod("a");

  constexpr uint64_t kBytes = 1'000'000;
  auto out = tcp_transfer(b.netns_path, b.ip, 7074, a.netns_path, kBytes);  // a sends (XDP)
  ASSERT_EQ(out.received, kBytes);
  auto in = tcp_transfer(a.netns_path, a.ip, 7075, b.netns_path, kBytes);  // a receives (tcx)
  ASSERT_EQ(in.received, kBytes);
  auto sent = find_flow(agent, "a", out.client_port);
  ASSERT_TRUE(sent) << agent.get("/flows");
  expect_payload((*sent)["egress"], kBytes);
  EXPECT_EQ((*sent)["role"], "client");
  EXPECT_GT((*sent)["handshake_rtt_ns"].get<double>(), 0);
  std::optional<json> received;
  for (const auto& f : json(json::parse(agent.get("/flows"))["flows"]))
    if (f["pod"] == "a" && f["local_port"] == 7075) received = f;
  ASSERT_TRUE(received) << agent.get("/flows");
  expect_payload((*received)["ingress"], kBytes);
  // The receiver's side of the same transfer, seen by b's tc programs, agrees with a's XDP one:
  // nothing counted twice, nothing missed.
  auto sent_b = find_flow(agent, "b", 7074);
  if (!sent_b)
    for (const auto& f : json(json::parse(agent.get("/flows"))["flows"]))
      if (f["pod"] == "b" && f["remote_port"] == out.client_port) sent_b = f;
  ASSERT_TRUE(sent_b) << agent.get("/flows");
  EXPECT_EQ((*sent)["egress"]["packets"], (*sent_b)["ingress"]["packets"]);

  // DEL (tcpulse's alone, so that the veth stays to be looked at) takes the XDP program off.
  del_tcpulse_only(node, a);
  EXPECT_FALSE(our_xdp_program(ifindex)) << "DEL left the XDP program on the veth";
  EXPECT_EQ(json::parse(agent.get("/pods")).size(), 1u);
}

TEST_F(PodTraffic, DelSucceedsWhenTheSandboxIsAlreadyGone) {
  AgentProcess agent(unique_pin_dir());
  agent.wait_ready();
  TestNode node(unique_pin_dir());
  const TestPod a = node.add_pod("a");
  const TestPod b = node.add_pod("b");
  ASSERT_EQ(tcpulse_tcx_links(), links_before_ + 4);

  // The runtime lost the sandbox: the netns, and with it the veth pair, vanish before DEL.
  run_checked({"ip", "netns", "del", a.netns_name});
  std::string plugin = plugin_binary().string();
  auto del = [&](const TestPod& pod, const std::string& netns) {
    // tcpulse alone, as the runtime calls it: no prevResult (a lost cache), maybe no netns.
    return run_command({plugin},
                       R"({"cniVersion":"1.0.0","name":"n","type":"tcpulse","pinDir":")" +
                           unique_pin_dir().string() + R"(","stateDir":")" +
                           state_dir_for(unique_pin_dir()).string() + "\"}",
                       {{"CNI_COMMAND", "DEL"}, {"CNI_CONTAINERID", pod.container_id},
                        {"CNI_NETNS", netns}, {"CNI_IFNAME", "eth0"}, {"CNI_PATH", "/usr/lib/cni"}});
  };
  auto r = del(a, "");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(del(a, a.netns_path).exit_code, 0);  // again, with the now-missing netns path
  auto pods = json::parse(agent.get("/pods"));
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["pod"], "b");  // the other pod is untouched
  EXPECT_EQ(tcpulse_tcx_links(), links_before_ + 2);
  PinLayout layout(unique_pin_dir());
  for (TcHook hook : kTcHooks) {
    EXPECT_FALSE(std::filesystem::exists(layout.link(a.container_id, "eth0", hook)));
    EXPECT_TRUE(std::filesystem::exists(layout.link(b.container_id, "eth0", hook)));
  }
  node.check_pod("b");
}

TEST_F(PodTraffic, PodsCreatedWhileTheAgentIsDownAreAttachedWhenItStarts) {
  TestNode node(unique_pin_dir());
  const TestPod a = node.add_pod("a");  // no agent: fails open, queued
  const TestPod b = node.add_pod("b");
  EXPECT_EQ(tcpulse_tcx_links(), links_before_);
  ASSERT_EQ(tcp_transfer(b.netns_path, b.ip, 7074, a.netns_path, 100'000).received, 100'000u)
      << "pods must have networking without the agent";
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(state_dir_for(unique_pin_dir()) / "pending"),
                          std::filesystem::directory_iterator()),
            2);

  auto started = std::chrono::steady_clock::now();
  AgentProcess agent(unique_pin_dir());
  agent.wait_ready();
  ASSERT_TRUE(eventually([&] { return json::parse(agent.get("/pods")).size() == 2; }, 5))
      << agent.log();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(seconds, 5.0);
  EXPECT_EQ(tcpulse_tcx_links(), links_before_ + 4);
  EXPECT_TRUE(std::filesystem::is_empty(state_dir_for(unique_pin_dir()) / "pending"));

  auto transfer = tcp_transfer(b.netns_path, b.ip, 7075, a.netns_path, 250'000);
  auto flow = find_flow(agent, "a", transfer.client_port);
  ASSERT_TRUE(flow);
  expect_payload((*flow)["egress"], 250'000);
  node.check_pod("a");
}

TEST_F(PodTraffic, ReconciliationCollectsPodsWhoseDelNeverCame) {
  AgentProcess agent(unique_pin_dir());  // reconciles every second
  agent.wait_ready();
  TestNode node(unique_pin_dir());
  const TestPod a = node.add_pod("a");
  node.add_pod("b");
  ASSERT_EQ(json::parse(agent.get("/pods")).size(), 2u);

  run_checked({"ip", "netns", "del", a.netns_name});  // the veth goes; no DEL is sent
  ASSERT_TRUE(eventually([&] { return json::parse(agent.get("/pods")).size() == 1; }, 5))
      << agent.log();
  EXPECT_EQ(json::parse(agent.get("/pods"))[0]["pod"], "b");
  PinLayout layout(unique_pin_dir());
  for (TcHook hook : kTcHooks)
    EXPECT_FALSE(std::filesystem::exists(layout.link(a.container_id, "eth0", hook)));
  EXPECT_EQ(tcpulse_tcx_links(), links_before_ + 2);
  EXPECT_NE(agent.log().find("collected 1 vanished pods"), std::string::npos) << agent.log();
}

TEST_F(PodTraffic, PodsCreatedBeforeTcpulseWasInstalledAreAdoptedFromTheCniCache) {
  // A node before installation: the conflist has no tcpulse, the runtime's cache knows the pods.
  TestNode node(unique_pin_dir(), "{}", "1.0.0", /*chain_tcpulse=*/false);
  const TestPod a = node.add_pod("a", "legacy");
  const TestPod b = node.add_pod("b", "legacy");
  AgentProcess agent(unique_pin_dir(), true, {"--cni-cache-dir", node.cni_cache_dir().string()});
  agent.wait_ready();
  ASSERT_TRUE(eventually([&] { return json::parse(agent.get("/pods")).size() == 2; }, 5))
      << agent.log();
  for (const auto& p : json::parse(agent.get("/pods"))) {
    EXPECT_EQ(p["namespace"], "legacy");
    EXPECT_EQ(p["ips"][0], p["pod"] == "a" ? a.ip : b.ip);
    EXPECT_EQ(p["network"], node.network_name());
  }
  EXPECT_EQ(tcpulse_tcx_links(), links_before_ + 4);

  auto transfer = tcp_transfer(b.netns_path, b.ip, 7076, a.netns_path, 300'000);
  auto flow = find_flow(agent, "a", transfer.client_port);
  ASSERT_TRUE(flow);
  expect_payload((*flow)["egress"], 300'000);

  // Their DEL never reaches tcpulse (not in the conflist): the veth going is enough.
  node.del_pod("a");
  ASSERT_TRUE(eventually([&] { return json::parse(agent.get("/pods")).size() == 1; }, 5))
      << agent.log();
  EXPECT_EQ(tcpulse_tcx_links(), links_before_ + 2);
}

// The host-side veth of a new pod can get the ifindex of one just deleted (the bridge plugin
// keeps the index the veth had in the pod's netns when it is free on the host). Packet counts
// live in per-CPU slots indexed by ifindex: the new pod must start from zero, not from what the
// old one counted, and count its own packets exactly.
TEST_F(PodTraffic, APodOnAReusedIfindexCountsFromZero) {
  // No reconcile between the DEL and the reuse, which would free the slot and hide the case.
  AgentProcess agent(unique_pin_dir(), true, {"--reconcile-interval", "3600"});
  agent.wait_ready();
  TestNode node(unique_pin_dir());
  const TestPod a = node.add_pod("a");
  const TestPod b = node.add_pod("b");
  tcp_transfer(b.netns_path, b.ip, 7080, a.netns_path, 200'000);
  int ifindex = 0;
  uint64_t old_packets = 0;
  for (const auto& p : json::parse(agent.get("/pods")))
    if (p["pod"] == "a") {
      ifindex = p["host_ifindex"];
      old_packets = p["egress"]["packets"];
    }
  ASSERT_GT(old_packets, 0u);
  node.del_pod("a");

  const std::string host = "tpr" + std::to_string(getpid() % 100000), peer = host + "p";
  run_checked({"ip", "link", "add", host, "index", std::to_string(ifindex), "type", "veth", "peer",
               "name", peer});
  struct VethGuard {
    std::string name;
    ~VethGuard() { run_command({"ip", "link", "del", name}); }
  } guard{host};
  auto attachments = PodAttachments::open(PinLayout(unique_pin_dir()));
  ASSERT_TRUE(attachments) << attachments.error().describe();
  PodRecord record{"default", "a2", "uid-a2", "reuse-" + host, "eth0", node.network_name(), 0, 0,
                   {"10.254.77.1"}};
  ASSERT_TRUE(attachments->attach(ifindex, record, AttachMode::Auto));

  auto a2_egress = [&]() -> json {
    for (const auto& p : json::parse(agent.get("/pods")))
      if (p["pod"] == "a2") return p["egress"];
    return nullptr;
  };
  ASSERT_FALSE(a2_egress().is_null()) << agent.get("/pods");
  EXPECT_EQ(a2_egress()["packets"], 0) << "the old pod's " << old_packets << " packets";
  EXPECT_EQ(a2_egress()["bytes"], 0);

  // Three UDP datagrams from the "pod" side of the veth (a static neighbour: no ARP, which is not
  // IP; no IPv6, whose autoconfiguration would send packets of its own).
  for (const auto& dev : {host, peer})
    run_checked({"sysctl", "-qw", "net.ipv6.conf." + dev + ".disable_ipv6=1"});
  run_checked({"ip", "addr", "add", "10.254.77.1/32", "dev", peer});
  run_checked({"ip", "link", "set", peer, "up"});
  run_checked({"ip", "link", "set", host, "up"});
  run_checked({"ip", "neigh", "add", "10.254.77.2", "lladdr", "02:00:00:00:77:02", "dev", peer});
  UniqueFd udp(socket(AF_INET, SOCK_DGRAM, 0));
  ASSERT_TRUE(udp.valid());
  ASSERT_EQ(setsockopt(udp.get(), SOL_SOCKET, SO_BINDTODEVICE, peer.c_str(), peer.size()), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(9);
  inet_pton(AF_INET, "10.254.77.2", &to.sin_addr);
  const char payload[100] = {};
  for (int i = 0; i < 3; i++)
    ASSERT_EQ(sendto(udp.get(), payload, sizeof(payload), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof(to)),
              static_cast<ssize_t>(sizeof(payload)))
        << strerror(errno);
  EXPECT_EQ(a2_egress()["packets"], 3) << agent.get("/pods");
  EXPECT_EQ(a2_egress()["bytes"], 3 * 128) << "20 B IPv4 + 8 B UDP + 100 B each";
}

// A new build of the agent (same ABI) takes over the pods the last one attached: their hooks run
// the programs it loaded from then on, in either attach mode. The "old build" here is the test
// build of the datapath (a mock clock: other instructions), put on the pod's hooks by hand.
TEST_F(PodTraffic, ARestartedAgentSwitchesPodsToItsPrograms) {
  for (std::string mode : {"tcx", "tc"}) {
    SCOPED_TRACE(mode);
    PinLayout layout(unique_pin_dir());
    std::optional<AgentProcess> first;
    first.emplace(unique_pin_dir(), /*cleanup_on_exit=*/false);
    first->wait_ready();
    TestNode node(unique_pin_dir(), R"({"attachMode": ")" + mode + R"("})");
    const TestPod a = node.add_pod("a");
    first.reset();  // stopped, pins and attachments left in place

    auto veth = find_host_veth(a.netns_path, "eth0");
    ASSERT_TRUE(veth && veth->host);
    int ifindex = veth->host->ifindex;
    auto attached_prog = [&](TcHook hook) -> uint32_t {
      auto link = read_pinned_link(layout.link(a.container_id, "eth0", hook));
      if (link && link.value()) return link.value()->prog_id;
      auto filter = clsact_program(ifindex, hook, layout.clsact_handle());
      return filter && filter.value() ? *filter.value() : 0;
    };
    DatapathUnderTest old_build;
    ASSERT_TRUE(old_build.loaded());
    for (TcHook hook : kTcHooks) {
      int fd = old_build.prog_fd(hook == TcHook::Ingress ? TCPULSE_DIR_EGRESS : TCPULSE_DIR_INGRESS);
      auto pin = layout.link(a.container_id, "eth0", hook);
      if (mode == "tcx") ASSERT_TRUE(update_link_program(pin, fd));
      else ASSERT_TRUE(attach_program(fd, ifindex, hook, pin, AttachMode::Clsact,
                                      TcxPosition::First, layout.clsact_handle()));
      ASSERT_EQ(attached_prog(hook), prog_id_of(fd));
    }

    AgentProcess second(unique_pin_dir());
    second.wait_ready();
    EXPECT_NE(second.log().find("switched 2 pod hook(s)"), std::string::npos) << second.log();
    for (TcHook hook : kTcHooks) {
      auto pinned = open_pinned(layout.prog(hook));
      ASSERT_TRUE(pinned);
      EXPECT_EQ(attached_prog(hook), prog_id_of(pinned->get())) << hook_name(hook);
    }
  }
}

// An upgrade across an ABI change: the older datapath (here the same objects, pinned in another
// ABI directory) still runs on its pods. The new agent moves them to its own datapath and
// removes the old one, so no pod runs two versions' programs and no old map stays pinned.
// The tunables are read-only data of the programs: an agent restarted with other values switches
// the pods to programs that have them; one restarted with the same values changes nothing.
TEST_F(PodTraffic, ARestartWithOtherTunablesSwitchesThePodsAndOneWithTheSameDoesNot) {
  std::optional<AgentProcess> agent;
  agent.emplace(unique_pin_dir(), /*cleanup_on_exit=*/false);
  agent->wait_ready();
  TestNode node(unique_pin_dir());
  node.add_pod("a");
  agent.reset();
  agent.emplace(unique_pin_dir(), /*cleanup_on_exit=*/false);
  agent->wait_ready();
  EXPECT_EQ(agent->log().find("switched"), std::string::npos) << agent->log();
  agent.reset();
  agent.emplace(unique_pin_dir(), /*cleanup_on_exit=*/true,
                std::vector<std::string>{"--rtt-sample-interval", "50"});
  agent->wait_ready();
  EXPECT_NE(agent->log().find("switched 2 pod hook(s)"), std::string::npos) << agent->log();
  node.del_pod("a");
}

TEST_F(PodTraffic, ARestartWithAnotherFlowsMaxKeepsThePinnedTableAndSaysSo) {
  std::optional<AgentProcess> agent;
  agent.emplace(unique_pin_dir(), /*cleanup_on_exit=*/false,
                std::vector<std::string>{"--flows-max", "4096"});
  agent->wait_ready();
  TestNode node(unique_pin_dir());
  const TestPod a = node.add_pod("a");
  const TestPod b = node.add_pod("b");
  ASSERT_EQ(tcp_transfer(b.netns_path, b.ip, 7081, a.netns_path, 100'000).received, 100'000u);
  ASSERT_TRUE(eventually([&] { return pod_egress_bytes(*agent, "a") > 100'000; }, 3));
  uint64_t counted = pod_egress_bytes(*agent, "a");
  agent.reset();
  // A Helm value change: the DaemonSet restarts with another size over the same pins.
  agent.emplace(unique_pin_dir(), /*cleanup_on_exit=*/true,
                std::vector<std::string>{"--flows-max", "8192"});
  agent->wait_ready();
  EXPECT_NE(agent->log().find("--flows-max asks for 8192"), std::string::npos) << agent->log();
  auto samples = parse_prometheus_text(agent->get("/metrics"));
  EXPECT_EQ(find_sample(samples, "tcpulse_flow_table_capacity", {{"map", "flowtab"}}), 4096);
  EXPECT_EQ(find_sample(samples, "tcpulse_flow_table_requested_capacity", {}), 8192);
  EXPECT_GE(pod_egress_bytes(*agent, "a"), counted) << "counters and flows carried on";
  auto after = tcp_transfer(b.netns_path, b.ip, 7082, a.netns_path, 100'000);
  EXPECT_TRUE(find_flow(*agent, "a", after.client_port)) << "and it still monitors";
  node.del_pod("a");
  node.del_pod("b");
}

TEST_F(PodTraffic, AnUpgradeMovesPodsOffTheOlderDatapath) {
  TestNode node(unique_pin_dir(), "{}", "1.0.0", /*chain_tcpulse=*/false);
  const TestPod a = node.add_pod("a", "upgraded");
  const TestPod b = node.add_pod("b", "upgraded");
  PinLayout older(unique_pin_dir(), TCPULSE_ABI_VERSION - 1);
  {
    auto datapath = LoadedDatapath::load_and_pin(older, {1024});
    ASSERT_TRUE(datapath) << datapath.error().describe();
    auto attachments = PodAttachments::open(older);
    ASSERT_TRUE(attachments) << attachments.error().describe();
    for (const TestPod* pod : {&a, &b}) {
      auto veth = find_host_veth(pod->netns_path, "eth0");
      ASSERT_TRUE(veth && veth->host) << pod->name;
      PodRecord record{"upgraded", pod->name, "uid-" + pod->name, pod->container_id, "eth0",
                       node.network_name(), veth->netns_ino, 0, {pod->ip}};
      auto mode = attachments->attach(veth->host->ifindex, record, AttachMode::Auto);
      ASSERT_TRUE(mode) << mode.error().describe();
    }
  }
  ASSERT_EQ(tcpulse_tcx_links(), links_before_ + 4);

  AgentProcess agent(unique_pin_dir());  // no CNI cache: the old records are the only source
  agent.wait_ready();
  EXPECT_NE(agent.log().find("moved 2 pod(s)"), std::string::npos) << agent.log();
  EXPECT_FALSE(std::filesystem::exists(older.root()));
  EXPECT_EQ(tcpulse_tcx_links(), links_before_ + 4) << "two programs per pod, not four";
  auto pods = json::parse(agent.get("/pods"));
  ASSERT_EQ(pods.size(), 2u) << agent.log();
  for (const auto& p : pods) {
    EXPECT_EQ(p["namespace"], "upgraded");
    EXPECT_EQ(p["ips"][0], p["pod"] == "a" ? a.ip : b.ip);
  }
  auto transfer = tcp_transfer(b.netns_path, b.ip, 7079, a.netns_path, 100'000);
  auto flow = find_flow(agent, "a", transfer.client_port);
  ASSERT_TRUE(flow) << agent.get("/flows");
  expect_payload((*flow)["egress"], 100'000);
}

TEST_F(PodTraffic, ClosedFlowsExpireAndOpenOnesStay) {
  AgentProcess agent(unique_pin_dir(), true, {"--closed-flow-ttl", "1"});  // reconciles each second
  agent.wait_ready();
  TestNode node(unique_pin_dir());
  const TestPod a = node.add_pod("a");
  const TestPod b = node.add_pod("b");
  auto closed = tcp_transfer(b.netns_path, b.ip, 7077, a.netns_path, 10'000);  // FIN both ways

  // One connection held open meanwhile.
  UniqueFd listener = listen_in_netns(b.netns_path, b.ip, 7078);
  Connection held = connect_in_netns(a.netns_path, b.ip, 7078);

  auto has_flow = [&](int port) {
    for (const auto& f : json(json::parse(agent.get("/flows"))["flows"]))
      if (f["pod"] == "a" && f["remote_port"] == port) return true;
    return false;
  };
  ASSERT_TRUE(has_flow(7077));
  uint64_t before = pod_egress_bytes(agent, "a");
  ASSERT_GT(before, 10'000u);
  EXPECT_TRUE(eventually([&] { return !has_flow(7077); }, 5)) << agent.log();
  EXPECT_TRUE(has_flow(7078)) << "an open connection must stay";
  EXPECT_GE(pod_egress_bytes(agent, "a"), before) << "the expired flow took its counts from its pod";

  // The closed connection's slots (one per pod) were retired; a later pass frees them.
  auto maps = DatapathMaps::open(PinLayout(unique_pin_dir()));
  ASSERT_TRUE(maps) << maps.error().describe();
  auto retired_slots = [&] {
    size_t n = 0;
    for (size_t i = 0; i < maps->flows.slots.size(); i++)
      if (maps->flows.slots.tag_at(i) == TCPULSE_SLOT_RETIRED) n++;
    return n;
  };
  EXPECT_TRUE(eventually([&] { return retired_slots() == 0; }, 5)) << agent.log();
  EXPECT_EQ(find_sample(parse_prometheus_text(agent.get("/metrics")),
                        "tcpulse_tcp_connections_active", {{"pod", "a"}}),
            1);
  (void)closed;
}

// A connection silent past --idle-flow-ttl is expired, and its pod keeps what it counted: a pod's
// TCP traffic is its flows', and a counter that went back would read as a reset. The connection
// goes on in a new flow, counting on top.
TEST_F(PodTraffic, IdleFlowsExpireAndTheirPodKeepsWhatTheyCounted) {
  AgentProcess agent(unique_pin_dir(), true, {"--idle-flow-ttl", "2"});  // reconciles each second
  agent.wait_ready();
  TestNode node(unique_pin_dir());
  const TestPod a = node.add_pod("a");
  const TestPod b = node.add_pod("b");
  UniqueFd listener = listen_in_netns(b.netns_path, b.ip, 7081);  // never accepts: the kernel reads
  Connection held = connect_in_netns(a.netns_path, b.ip, 7081);
  send_all(held.fd.get(), std::string(50'000, 'x'));

  auto has_flow = [&] { return find_flow(agent, "a", held.local_port).has_value(); };
  ASSERT_TRUE(eventually(has_flow, 3)) << agent.get("/flows");
  uint64_t before = 0;
  ASSERT_TRUE(eventually([&] { return (before = pod_egress_bytes(agent, "a")) > 50'000u; }, 3));
  EXPECT_TRUE(eventually([&] { return !has_flow(); }, 8)) << agent.log();
  EXPECT_GE(pod_egress_bytes(agent, "a"), before) << "the expired flow took its counts from its pod";

  send_all(held.fd.get(), std::string(10'000, 'y'));
  EXPECT_TRUE(eventually(has_flow, 3)) << agent.get("/flows");
  EXPECT_TRUE(eventually([&] { return pod_egress_bytes(agent, "a") >= before + 10'000; }, 3))
      << agent.get("/pods");
}

}  // namespace
}  // namespace tcpulse::test
