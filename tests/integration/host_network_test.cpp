// Host-network pods on an uplink, end to end: an uplink veth from the host namespace to a "remote"
// namespace, processes in cgroups laid out like the kubelet's (systemd and cgroupfs drivers) that
// open connections through it from the host namespace, and an agent with --uplink. For both
// receive sides (tcx, XDP through libxdp): flows under the right pod with the bytes transferred,
// retransmissions under injected loss against the sender's own tcp_info, resets exactly, nothing
// for a host socket outside any pod, nor for a veth pod whose traffic is forwarded through the
// same uplink. And XDP never displaces another program: xdp-filter (Debian's xdp-tools) stays
// on the uplink, unchanged, while the agent runs and after it exits.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/tcp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/unique_fd.h"
#include "tests/support/agent_process.h"
#include "tests/support/command.h"
#include "tests/support/eventually.h"
#include "tests/support/privileges.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/tcp_transfer.h"
#include "tests/support/test_pins.h"

namespace tcpulse::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kCgroup2 = "/sys/fs/cgroup/unified";
const char* kHostNetns = "/proc/self/ns/net";

std::string suffix() { return std::to_string(getpid()); }

// 172.(16..31).x.0/24 per test process: the uplink's /30 at .0, the forwarded pod's /30 at .4.
std::string subnet_ip(int host) {
  int pid = getpid();
  return "172." + std::to_string(16 + pid % 16) + "." + std::to_string((pid / 16) % 250) + "." +
         std::to_string(host);
}

// A namespace joined to the host namespace by a veth, a /30 between them; both gone with it.
struct NetnsVeth {
  std::string netns, dev, peer, host_ip, remote_ip;
  NetnsVeth(std::string ns, std::string host_end, std::string ns_end, std::string host_address,
            std::string ns_address)
      : netns(std::move(ns)), dev(std::move(host_end)), peer(std::move(ns_end)),
        host_ip(std::move(host_address)), remote_ip(std::move(ns_address)) {
    run_checked({"ip", "netns", "add", netns});
    run_checked({"ip", "link", "add", dev, "type", "veth", "peer", "name", peer});
    run_checked({"ip", "link", "set", peer, "netns", netns});
    run_checked({"ip", "addr", "add", host_ip + "/30", "dev", dev});
    run_checked({"ip", "link", "set", dev, "up"});
    run_checked({"ip", "-n", netns, "addr", "add", remote_ip + "/30", "dev", peer});
    run_checked({"ip", "-n", netns, "link", "set", peer, "up"});
    run_checked({"ip", "-n", netns, "link", "set", "lo", "up"});
  }
  ~NetnsVeth() {
    run_command({"ip", "link", "del", dev});
    run_command({"ip", "netns", "del", netns});
  }
  NetnsVeth(const NetnsVeth&) = delete;
  NetnsVeth& operator=(const NetnsVeth&) = delete;
  std::string remote_path() const { return "/run/netns/" + netns; }
};

// An uplink: a veth from the host namespace to a namespace standing for the rest of the network.
struct Uplink : NetnsVeth {
  Uplink() : NetnsVeth("tpr" + suffix(), "tpu" + suffix(), "tpq" + suffix(), subnet_ip(1), subnet_ip(2)) {}
};

// Cgroups laid out as the kubelet makes them, under a root of the test's own.
struct KubeletCgroups {
  fs::path root = kCgroup2 / ("tcpulse-test-" + suffix());
  // systemd driver: burstable pod A with a containerd container.
  std::string uid_a = "1b4e28ba-2fa1-11d2-883f-" + std::string(12 - suffix().size(), '0') + suffix();
  fs::path pod_a = root / "kubepods.slice" / "kubepods-burstable.slice" /
                   ("kubepods-burstable-pod" + underscored(uid_a) + ".slice");
  std::string container_a = std::string(58, 'a') + "000001";
  fs::path cgroup_a = pod_a / ("cri-containerd-" + container_a + ".scope");
  // cgroupfs driver: best-effort pod B with a CRI-O container.
  std::string uid_b = "6fa459ea-ee8a-3ca4-894e-" + std::string(12 - suffix().size(), '0') + suffix();
  std::string container_b = std::string(58, 'b') + "000002";
  fs::path cgroup_b = root / "kubepods" / "besteffort" / ("pod" + uid_b) / container_b;
  fs::path original;  // the test process's own cgroup

  static std::string underscored(std::string uid) {
    for (char& c : uid)
      if (c == '-') c = '_';
    return uid;
  }
  KubeletCgroups() {
    fs::create_directories(cgroup_a);
    fs::create_directories(cgroup_b);
    std::ifstream self("/proc/self/cgroup");
    for (std::string line; std::getline(self, line);)
      if (line.rfind("0::", 0) == 0) original = kCgroup2 / fs::path(line.substr(3)).relative_path();
  }
  ~KubeletCgroups() {
    move_to(original);
    std::error_code ec;
    std::vector<fs::path> dirs;
    for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_directory(ec) && !it->is_symlink(ec)) dirs.push_back(it->path());
    std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
      return a.string().size() > b.string().size();  // deepest first
    });
    for (const auto& d : dirs) rmdir(d.c_str());
    rmdir(root.c_str());
  }
  static void move_to(const fs::path& cgroup) {
    std::ofstream procs(cgroup / "cgroup.procs");
    procs << getpid() << std::flush;
    if (!procs) throw std::runtime_error("cannot move into " + cgroup.string());
  }
};

// While it lives, the test process (and the sockets it makes) is in a pod's cgroup.
class InCgroup {
 public:
  InCgroup(const KubeletCgroups& cgroups, const fs::path& cgroup) : cgroups_(cgroups) {
    KubeletCgroups::move_to(cgroup);
  }
  ~InCgroup() { KubeletCgroups::move_to(cgroups_.original); }

 private:
  const KubeletCgroups& cgroups_;
};

// What the runtimes keep on disk: containerd's bundle for pod A, CRI-O's for pod B.
struct RuntimeState {
  fs::path dir = fs::temp_directory_path() / ("tcpulse-runtime-" + suffix());
  RuntimeState(const KubeletCgroups& c) {
    fs::create_directories(dir / c.container_a);
    std::ofstream(dir / c.container_a / "config.json")
        << json{{"ociVersion", "1.0.2"},
                {"annotations",
                 {{"io.kubernetes.cri.container-type", "container"},
                  {"io.kubernetes.cri.sandbox-namespace", "ingress"},
                  {"io.kubernetes.cri.sandbox-name", "edge-proxy"},
                  {"io.kubernetes.cri.sandbox-uid", c.uid_a},
                  {"io.kubernetes.cri.sandbox-id", std::string(64, 'f')}}}}
               .dump();
    fs::create_directories(dir / c.container_b / "userdata");
    std::ofstream(dir / c.container_b / "userdata" / "config.json")
        << json{{"annotations",
                 {{"io.kubernetes.pod.namespace", "kube-system"},
                  {"io.kubernetes.pod.name", "node-dns"},
                  {"io.kubernetes.pod.uid", c.uid_b}}}}
               .dump();
  }
  ~RuntimeState() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

// Sends bytes to ip:port from the host namespace and returns the sender's own retransmission
// count (tcpi_total_retrans) and its port. A receiver in the remote namespace reads to EOF.
struct Sent {
  uint64_t received = 0;
  uint32_t retrans = 0;
  uint16_t port = 0;
};
Sent send_counting_retrans(const Uplink& up, uint16_t port, uint64_t bytes) {
  UniqueFd listener = listen_in_netns(up.remote_path(), up.remote_ip, port);
  Sent out;
  std::thread sink([&] {
    UniqueFd c(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[65536];
    ssize_t n;
    while ((n = read(c.get(), buf, sizeof(buf))) > 0) out.received += n;
  });
  Connection c = connect_in_netns(kHostNetns, up.remote_ip, port);
  out.port = c.local_port;
  std::vector<char> chunk(65536, 'x');
  for (uint64_t left = bytes; left;) {
    ssize_t n = write(c.fd.get(), chunk.data(), std::min<uint64_t>(left, chunk.size()));
    if (n <= 0) break;
    left -= n;
  }
  shutdown(c.fd.get(), SHUT_WR);
  sink.join();  // everything arrived: the sender's count is final
  tcp_info info{};
  socklen_t len = sizeof(info);
  getsockopt(c.fd.get(), IPPROTO_TCP, TCP_INFO, &info, &len);
  out.retrans = info.tcpi_total_retrans;
  return out;
}

std::optional<std::string> uplink_unavailable() {
  if (auto why = node_unavailable()) return why;
  if (!fs::exists(kCgroup2 / "cgroup.procs")) return "no cgroup v2 hierarchy at " + kCgroup2.string();
  return std::nullopt;
}

class HostNetwork : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    TCPULSE_SKIP_UNLESS(uplink_unavailable());
    uplink_ = std::make_unique<Uplink>();
    cgroups_ = std::make_unique<KubeletCgroups>();
    runtime_ = std::make_unique<RuntimeState>(*cgroups_);
    pin_dir_ = test_pin_dir("uplink");
    agent_ = std::make_unique<AgentProcess>(
        pin_dir_, true,
        std::vector<std::string>{"--uplink", uplink_->dev, "--uplink-ingress", GetParam(),
                                 "--cgroup-root", cgroups_->root.string(), "--runtime-state-dir",
                                 runtime_->dir.string(), "--interval", "0.2"});
    agent_->wait_ready();
    ASSERT_TRUE(eventually([&] { return metric("tcpulse_host_pods", {}) == 2; }, 10)) << agent_->log();
  }
  void TearDown() override {
    agent_.reset();
    runtime_.reset();
    cgroups_.reset();
    uplink_.reset();
    std::error_code ec;
    fs::remove_all(state_dir_for(pin_dir_), ec);
  }

  double metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    return find_sample(parse_prometheus_text(agent_->get("/metrics")), name, labels).value_or(-1);
  }
  // The flow of a host socket with this local or remote port, nullptr if none.
  json flow_with_port(int port) {
    for (const auto& f : json(json::parse(agent_->get("/flows"))["flows"]))
      if (f["local_port"] == port || f["remote_port"] == port) return f;
    return nullptr;
  }

  std::unique_ptr<Uplink> uplink_;
  std::unique_ptr<KubeletCgroups> cgroups_;
  std::unique_ptr<RuntimeState> runtime_;
  fs::path pin_dir_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_P(HostNetwork, FlowsCountUnderTheirPodsBytesMatchTheTransfers) {
  // Pod A (systemd driver) is a client: 4 MB to the remote side.
  Sent a;
  {
    InCgroup in(*cgroups_, cgroups_->cgroup_a);
    a = send_counting_retrans(*uplink_, 7201, 4'000'000);
  }
  ASSERT_EQ(a.received, 4'000'000u);
  // Pod B (cgroupfs driver) is a server: the remote side sends it 3 MB.
  UniqueFd listener;
  {
    InCgroup in(*cgroups_, cgroups_->cgroup_b);
    listener = listen_in_netns(kHostNetns, "0.0.0.0", 7202);
  }
  uint64_t b_received = 0;
  std::thread serve([&] {
    UniqueFd c(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    char buf[65536];
    ssize_t n;
    while ((n = read(c.get(), buf, sizeof(buf))) > 0) b_received += n;
  });
  {
    Connection c = connect_in_netns(uplink_->remote_path(), uplink_->host_ip, 7202);
    std::vector<char> chunk(65536, 'y');
    for (uint64_t left = 3'000'000; left;) {
      ssize_t n = write(c.fd.get(), chunk.data(), std::min<uint64_t>(left, chunk.size()));
      ASSERT_GT(n, 0);
      left -= n;
    }
  }
  serve.join();
  ASSERT_EQ(b_received, 3'000'000u);
  // A host socket in no pod's cgroup (the test's own): not counted anywhere.
  auto other = tcp_transfer(uplink_->remote_path(), uplink_->remote_ip, 7203, kHostNetns, 1'000'000);
  ASSERT_EQ(other.received, 1'000'000u);

  json fa, fb;
  ASSERT_TRUE(eventually([&] {
    fa = flow_with_port(a.port);
    fb = flow_with_port(7202);
    return !fa.is_null() && !fb.is_null() && fa["state"] == "closed" && fb["state"] == "closed";
  }, 10)) << fa.dump() << "\n" << fb.dump() << "\n" << agent_->log();
  std::printf("[ measured ] %s receive: pod A sent %.0f payload bytes (4000000 written), pod B "
              "received %.0f (3000000 written)\n",
              GetParam().c_str(), fa["egress"]["payload_bytes"].get<double>(),
              fb["ingress"]["payload_bytes"].get<double>());
  EXPECT_EQ(fa["namespace"], "ingress");
  EXPECT_EQ(fa["pod"], "edge-proxy");
  EXPECT_EQ(fa["role"], "client");
  EXPECT_EQ(fa["host_network"], true);
  EXPECT_NEAR(fa["egress"]["payload_bytes"].get<double>(), 4'000'000, 40'000);
  EXPECT_EQ(fb["namespace"], "kube-system");
  EXPECT_EQ(fb["pod"], "node-dns");
  EXPECT_EQ(fb["role"], "server");
  EXPECT_NEAR(fb["ingress"]["payload_bytes"].get<double>(), 3'000'000, 30'000);
  EXPECT_GT(fb["handshake_rtt_ns"].get<double>(), 0);
  EXPECT_TRUE(flow_with_port(7203).is_null()) << "a host socket outside any pod was counted";

  // The pods' series: host_network="true", bytes as the flows'.
  EXPECT_EQ(metric("tcpulse_pod_info", {{"namespace", "ingress"}, {"pod", "edge-proxy"},
                                        {"pod_uid", cgroups_->uid_a}, {"host_network", "true"}}),
            1);
  EXPECT_EQ(metric("tcpulse_pod_info", {{"namespace", "kube-system"}, {"pod", "node-dns"},
                                        {"host_network", "true"}}),
            1);
  EXPECT_GE(metric("tcpulse_bytes_total", {{"pod", "edge-proxy"}, {"direction", "egress"}}),
            4'000'000);
  EXPECT_LE(metric("tcpulse_bytes_total", {{"pod", "edge-proxy"}, {"direction", "egress"}}),
            4'000'000 * 1.06);  // headers: 52 bytes per 1448-byte segment at most
  EXPECT_EQ(metric("tcpulse_tcp_connections_opened_total", {{"pod", "node-dns"}, {"role", "server"}}), 1);
  EXPECT_EQ(metric("tcpulse_tcp_connections_opened_total", {{"pod", "edge-proxy"}, {"role", "client"}}), 1);
}

TEST_P(HostNetwork, RetransmissionsMatchTheSendersOwnCount) {
  // Every 40th packet to the remote port is lost on arrival, after the uplink saw it leave.
  run_checked({"ip", "netns", "exec", uplink_->netns, "iptables", "-A", "INPUT", "-p", "tcp",
               "--dport", "7211", "-m", "statistic", "--mode", "nth", "--every", "40", "--packet",
               "39", "-j", "DROP"});
  Sent a;
  {
    InCgroup in(*cgroups_, cgroups_->cgroup_a);
    a = send_counting_retrans(*uplink_, 7211, 8'000'000);
  }
  ASSERT_EQ(a.received, 8'000'000u);
  ASSERT_GT(a.retrans, 20u) << "the drop rule should have forced retransmissions";
  json f;
  ASSERT_TRUE(eventually([&] {
    f = flow_with_port(a.port);
    return !f.is_null() && f["state"] == "closed";
  }, 10)) << agent_->log();
  double ours = f["egress"]["retransmitted_segments"];
  std::printf("[ measured ] %s receive: retransmitted segments: the sender's tcpi_total_retrans %u, "
              "tcpulse %.0f\n", GetParam().c_str(), a.retrans, ours);
  EXPECT_NEAR(ours, a.retrans, std::max(1.0, 0.05 * a.retrans));
  EXPECT_EQ(metric("tcpulse_tcp_retransmitted_segments_total", {{"pod", "edge-proxy"}, {"direction", "egress"}}),
            ours);
}

TEST_P(HostNetwork, RefusedConnectionsAreExactlyTheResets) {
  run_checked({"ip", "netns", "exec", uplink_->netns, "iptables", "-A", "INPUT", "-p", "tcp",
               "--dport", "7221", "-j", "REJECT", "--reject-with", "tcp-reset"});
  constexpr int kConnections = 12;
  int refused = 0;
  {
    InCgroup in(*cgroups_, cgroups_->cgroup_a);
    auto to = ipv4_address(uplink_->remote_ip, 7221);
    for (int i = 0; i < kConnections; i++) {
      UniqueFd s(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0 && errno == ECONNREFUSED)
        refused++;
    }
  }
  ASSERT_EQ(refused, kConnections);
  ASSERT_TRUE(eventually([&] {
    return metric("tcpulse_tcp_resets_total", {{"pod", "edge-proxy"}, {"direction", "ingress"}}) ==
           kConnections;
  }, 10)) << metric("tcpulse_tcp_resets_total", {{"pod", "edge-proxy"}, {"direction", "ingress"}});
  EXPECT_EQ(metric("tcpulse_tcp_resets_total", {{"pod", "edge-proxy"}, {"direction", "egress"}}), 0);
}

TEST_P(HostNetwork, AVethPodsForwardedTrafficIsNotCountedOnTheUplink) {
  // A pod behind its own veth, routed through the host and out of the same uplink.
  NetnsVeth pod("tpp" + suffix(), "tpv" + suffix(), "tpw" + suffix(), subnet_ip(5), subnet_ip(6));
  const std::string &netns = pod.netns, &host_end = pod.dev, &pod_ip = pod.remote_ip;
  run_checked({"ip", "-n", netns, "route", "add", "default", "via", pod.host_ip});
  run_checked({"ip", "-n", uplink_->netns, "route", "add", pod_ip + "/32", "via", uplink_->host_ip});
  // Forwarding on these two interfaces only (IPv4 decides by the receiving interface).
  run_checked({"sysctl", "-qw", "net.ipv4.conf." + host_end + ".forwarding=1"});
  run_checked({"sysctl", "-qw", "net.ipv4.conf." + uplink_->dev + ".forwarding=1"});
  // The pod as a client of the remote side, and the remote side as a client of the pod on a port
  // a host-network pod also listens on (a wildcard listener a SYN to the pod would match).
  UniqueFd host_listener;
  {
    InCgroup in(*cgroups_, cgroups_->cgroup_b);
    host_listener = listen_in_netns(kHostNetns, "0.0.0.0", 7232);
  }
  auto out = tcp_transfer(uplink_->remote_path(), uplink_->remote_ip, 7231, "/run/netns/" + netns, 2'000'000);
  ASSERT_EQ(out.received, 2'000'000u);
  auto in = tcp_transfer("/run/netns/" + netns, pod_ip, 7232, uplink_->remote_path(), 2'000'000);
  ASSERT_EQ(in.received, 2'000'000u);
  agent_->get("/flows");  // a collection after both
  for (const auto& f : json(json::parse(agent_->get("/flows"))["flows"]))
    EXPECT_TRUE(f["pod"] == "" || (f["remote_port"] != 7231 && f["local_port"] != 7232))
        << "forwarded traffic counted under a pod: " << f.dump();
  for (const auto& p : json::parse(agent_->get("/pods")))
    EXPECT_NE(p["host_network"], true) << "a host-network pod with only forwarded traffic is shown: "
                                       << p.dump();
}

INSTANTIATE_TEST_SUITE_P(Receive, HostNetwork, ::testing::Values("tcx", "xdp"),
                         [](const auto& info) { return info.param; });

// Another XDP program on the uplink, loaded through libxdp by xdp-filter: with --uplink-ingress
// xdp it stays, unchanged, while the agent runs and after; the receive side goes on tcx and the
// traffic is still counted.
class UplinkXdpNeighbour : public HostNetwork {
 protected:
  void SetUp() override {
    TCPULSE_SKIP_UNLESS(uplink_unavailable());
    if (run_command({"which", "xdp-filter"}).exit_code != 0)
      GTEST_SKIP() << "SKIPPED: xdp-filter (Debian's xdp-tools) is not installed";
    Uplink* up = new Uplink();
    uplink_.reset(up);
    run_checked({"xdp-filter", "load", up->dev});
    neighbour_ = xdp_program_id(up->dev);
    ASSERT_NE(neighbour_, 0u);
    cgroups_ = std::make_unique<KubeletCgroups>();
    runtime_ = std::make_unique<RuntimeState>(*cgroups_);
    pin_dir_ = test_pin_dir("uplinkx");
    agent_ = std::make_unique<AgentProcess>(
        pin_dir_, true,
        std::vector<std::string>{"--uplink", up->dev, "--uplink-ingress", "xdp", "--cgroup-root",
                                 cgroups_->root.string(), "--runtime-state-dir",
                                 runtime_->dir.string(), "--interval", "0.2"});
    agent_->wait_ready();
  }
  void TearDown() override {
    if (uplink_) run_command({"xdp-filter", "unload", uplink_->dev});
    HostNetwork::TearDown();
  }
  // The XDP program attached to dev (ip link's "prog/xdp id N"), 0 if none.
  static uint32_t xdp_program_id(const std::string& dev) {
    std::string out = run_checked({"ip", "-d", "link", "show", dev});
    auto at = out.find("prog/xdp id ");
    return at == std::string::npos ? 0 : std::stoul(out.substr(at + 12));
  }
  uint32_t neighbour_ = 0;
};

TEST_F(UplinkXdpNeighbour, StaysUnchangedAndTheTrafficIsStillCounted) {
  EXPECT_EQ(xdp_program_id(uplink_->dev), neighbour_);
  EXPECT_EQ(metric("tcpulse_uplink_xdp_fallbacks_total", {{"interface", uplink_->dev}, {"reason", "other_program"}}), 1);
  EXPECT_EQ(metric("tcpulse_uplink_info", {{"interface", uplink_->dev}, {"receive", "tcx"}}), 1);
  Sent a;
  {
    InCgroup in(*cgroups_, cgroups_->cgroup_a);
    a = send_counting_retrans(*uplink_, 7241, 2'000'000);
  }
  ASSERT_EQ(a.received, 2'000'000u);
  json f;
  ASSERT_TRUE(eventually([&] {
    f = flow_with_port(a.port);
    return !f.is_null() && f["state"] == "closed";
  }, 10)) << agent_->log();
  EXPECT_NEAR(f["egress"]["payload_bytes"].get<double>(), 2'000'000, 20'000);
  EXPECT_GT(f["ingress"]["packets"].get<double>(), 0);  // the receive side counts, on tcx
  EXPECT_EQ(xdp_program_id(uplink_->dev), neighbour_);
  EXPECT_EQ(agent_->stop(), 0);
  EXPECT_EQ(xdp_program_id(uplink_->dev), neighbour_) << "the agent's exit took the neighbour's program";
}

// Where the kernel allows libxdp's dispatcher, tcpulse and xdp-filter share the uplink.
TEST_F(UplinkXdpNeighbour, SharesTheUplinkThroughTheDispatcher) {
  std::string status = run_checked({"xdp-loader", "status", uplink_->dev});
  if (status.find("xdp_dispatcher") == std::string::npos)
    GTEST_SKIP() << "SKIPPED: this kernel refuses libxdp's dispatcher (xdp-filter was loaded alone, "
                    "in single-program mode), so two XDP programs cannot share the uplink here";
  EXPECT_NE(status.find("xdpfilt"), std::string::npos) << status;
  EXPECT_NE(status.find("tcpulse_host_xd"), std::string::npos) << status;
  EXPECT_EQ(metric("tcpulse_uplink_info", {{"interface", uplink_->dev}, {"receive", "xdp"},
                                           {"dispatcher", "true"}}),
            1);
}

}  // namespace
}  // namespace tcpulse::test
