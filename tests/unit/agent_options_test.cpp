// tcpulse-agent flags: good ones parse, bad ones are refused with a message before anything runs.
#include "agent/agent_options.h"

#include "agent/sandbox_metadata.h"

#include <gtest/gtest.h>

namespace tcpulse::agent {
namespace {

std::variant<AgentOptions, UsageError> parse(std::vector<std::string> args) { return parse_options(args); }

TEST(AgentOptions, Defaults) {
  auto o = std::get<AgentOptions>(parse({}));
  EXPECT_EQ(o.listen_host, "0.0.0.0");
  EXPECT_EQ(o.listen_port, 9965);
  EXPECT_EQ(o.pin_dir, "/sys/fs/bpf/tcpulse");
  EXPECT_FALSE(o.cleanup_on_exit);
  EXPECT_EQ(o.idle_flow_ttl_s, 3600u);
  EXPECT_EQ(o.http_max_connections, 64u);
  EXPECT_EQ(o.http_timeout_s, 5u);
  // The datapath's own defaults (abi.h), in the flags' units.
  EXPECT_EQ(o.rtt_sample_interval_ms * 1'000'000ULL, TCPULSE_RTT_SAMPLE_INTERVAL_NS_DEFAULT);
  EXPECT_EQ(o.rtt_sample_expiry_s * 1'000'000'000ULL, TCPULSE_RTT_SAMPLE_EXPIRY_NS_DEFAULT);
  EXPECT_EQ(o.reorder_window_us * 1'000ULL, TCPULSE_REORDER_WINDOW_NS_DEFAULT);
}

TEST(AgentOptions, ParsesEveryFlag) {
  auto o = std::get<AgentOptions>(parse({"--listen", "[::1]:9100", "--pin-dir=/sys/fs/bpf/t",
                                         "--flows-max", "2048", "--cleanup-on-exit",
                                         "--ready-file", "/tmp/r", "--state-dir", "/run/x",
                                         "--reconcile-interval=3", "--cni-cache-dir=",
                                         "--closed-flow-ttl", "0", "--idle-flow-ttl=90",
                                         "--http-max-connections", "8", "--http-timeout=2",
                                         "--rtt-sample-interval", "100", "--rtt-sample-expiry=30",
                                         "--reorder-window", "500"}));
  EXPECT_EQ(o.listen_host, "::1");
  EXPECT_EQ(o.listen_port, 9100);
  EXPECT_EQ(o.pin_dir, "/sys/fs/bpf/t");
  EXPECT_EQ(o.flows_max, 2048u);
  EXPECT_TRUE(o.cleanup_on_exit);
  EXPECT_EQ(o.ready_file, "/tmp/r");
  EXPECT_EQ(o.state_dir, "/run/x");
  EXPECT_EQ(o.reconcile_interval_s, 3u);
  EXPECT_TRUE(o.cni_cache_dir.empty());
  EXPECT_EQ(o.closed_flow_ttl_s, 0u);
  EXPECT_EQ(o.idle_flow_ttl_s, 90u);
  EXPECT_EQ(o.http_max_connections, 8u);
  EXPECT_EQ(o.http_timeout_s, 2u);
  EXPECT_EQ(o.rtt_sample_interval_ms, 100u);
  EXPECT_EQ(o.rtt_sample_expiry_s, 30u);
  EXPECT_EQ(o.reorder_window_us, 500u);
}

TEST(AgentOptions, BadFlagsHaveAMessage) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--listen", "9965"}, {"--listen", "host:99999"}, {"--listen", ":80"},
           {"--listen"}, {"--pin-dir", "relative"}, {"--flows-max", "10"},
           {"--flows-max", "12abc"}, {"--frobnicate"}, {"extra"}, {"--state-dir", "x"},
           {"--reconcile-interval", "0"}, {"--closed-flow-ttl", "-1"},
           {"--idle-flow-ttl", "0"}, {"--idle-flow-ttl", "604801"},
           {"--http-max-connections", "0"}, {"--http-timeout", "301"},
           {"--rtt-sample-interval", "0"}, {"--rtt-sample-expiry", "3601"},
           {"--reorder-window", "1000001"}, {"--http-timeout"}, {"--interval", "0.01"},
           {"--interval", "1.2345"}, {"--interval", "."}, {"--interval", "5s"},
           {"--connection-log"}, {"--connection-log-max-bytes", "100"},
           {"--connection-log-files", "0"}, {"--log-level", "loud"}, {"--peer-top-k", "0"},
           {"--peer-series-max", "100001"}, {"--pod-grace", "86401"}}) {
    auto r = parse(args);
    ASSERT_TRUE(std::holds_alternative<UsageError>(r)) << args[0];
    EXPECT_FALSE(std::get<UsageError>(r).message.empty()) << args[0];
  }
  EXPECT_TRUE(std::get<UsageError>(parse({"--help"})).message.empty());
  EXPECT_TRUE(std::get<UsageError>(parse({"--version"})).version);
}

TEST(AgentOptions, TheCollectorsRecordsAndPeerFlags) {
  auto defaults = std::get<AgentOptions>(parse({}));
  EXPECT_EQ(defaults.interval_ms, 5000u);
  EXPECT_TRUE(defaults.connection_log.empty());
  EXPECT_EQ(defaults.pod_grace_s, 60u);
  EXPECT_FALSE(defaults.peer_metrics);
  EXPECT_EQ(defaults.log_level, LogLevel::Info);
  auto o = std::get<AgentOptions>(parse({"--interval", "0.25", "--connection-log", "-",
                                         "--connection-log-max-bytes", "1048576",
                                         "--connection-log-files", "3", "--pod-grace", "0",
                                         "--log-level", "debug", "--peer-metrics",
                                         "--peer-top-k", "5", "--peer-series-max", "50"}));
  EXPECT_EQ(o.interval_ms, 250u);
  EXPECT_EQ(o.connection_log, "-");
  EXPECT_EQ(o.connection_log_max_bytes, 1048576u);
  EXPECT_EQ(o.connection_log_files, 3u);
  EXPECT_EQ(o.pod_grace_s, 0u);
  EXPECT_EQ(o.log_level, LogLevel::Debug);
  EXPECT_TRUE(o.peer_metrics);
  EXPECT_EQ(o.peer_top_k, 5u);
  EXPECT_EQ(o.peer_series_max, 50u);
  EXPECT_EQ(std::get<AgentOptions>(parse({"--interval", "7"})).interval_ms, 7000u);
}

TEST(AgentOptions, TheUplinkFlags) {
  auto off = std::get<AgentOptions>(parse({}));
  EXPECT_TRUE(off.uplinks.empty());  // host-network pods are opt-in
  EXPECT_EQ(off.uplink_ingress, UplinkIngress::Tcx);
  EXPECT_TRUE(off.cgroup_root.empty());
  EXPECT_EQ(off.runtime_state_dirs, kDefaultRuntimeStateDirs);

  auto o = std::get<AgentOptions>(parse({"--uplink", "eth0,bond0.100", "--uplink-ingress=xdp",
                                         "--cgroup-root", "/sys/fs/cgroup", "--runtime-state-dir",
                                         "/run/a", "--runtime-state-dir=/run/b"}));
  EXPECT_EQ(o.uplinks, (std::vector<std::string>{"eth0", "bond0.100"}));
  EXPECT_EQ(o.uplink_ingress, UplinkIngress::Xdp);
  EXPECT_EQ(o.cgroup_root, "/sys/fs/cgroup");
  EXPECT_EQ(o.runtime_state_dirs, (std::vector<std::filesystem::path>{"/run/a", "/run/b"}));

  for (std::vector<std::string> bad : {std::vector<std::string>{"--uplink"},
                                       {"--uplink", ""},
                                       {"--uplink", "eth0,"},
                                       {"--uplink", "a-name-that-is-too-long"},
                                       {"--uplink", "../x"},
                                       {"--uplink", "eth 0"},
                                       {"--uplink-ingress", "skb"},
                                       {"--cgroup-root", "sys/fs/cgroup"},
                                       {"--runtime-state-dir", ""}}) {
    auto r = parse(bad);
    ASSERT_TRUE(std::holds_alternative<UsageError>(r)) << bad[0] << " " << (bad.size() > 1 ? bad[1] : "");
    EXPECT_NE(std::get<UsageError>(r).message.find(bad[0]), std::string::npos)
        << std::get<UsageError>(r).message;
  }
}

}  // namespace
}  // namespace tcpulse::agent
