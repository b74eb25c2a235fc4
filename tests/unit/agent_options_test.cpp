// tcpulse-agent flags: good ones parse, bad ones are refused with a message before anything runs.
#include "agent/agent_options.h"

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
}

TEST(AgentOptions, ParsesEveryFlag) {
  auto o = std::get<AgentOptions>(parse({"--listen", "[::1]:9100", "--pin-dir=/sys/fs/bpf/t",
                                         "--flows-max", "2048", "--cleanup-on-exit",
                                         "--ready-file", "/tmp/r", "--state-dir", "/run/x",
                                         "--reconcile-interval=3", "--cni-cache-dir=",
                                         "--closed-flow-ttl", "0", "--idle-flow-ttl=90"}));
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
}

TEST(AgentOptions, BadFlagsHaveAMessage) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"--listen", "9965"}, {"--listen", "host:99999"}, {"--listen", ":80"},
           {"--listen"}, {"--pin-dir", "relative"}, {"--flows-max", "10"},
           {"--flows-max", "12abc"}, {"--frobnicate"}, {"extra"}, {"--state-dir", "x"},
           {"--reconcile-interval", "0"}, {"--closed-flow-ttl", "-1"},
           {"--idle-flow-ttl", "0"}, {"--idle-flow-ttl", "604801"}}) {
    auto r = parse(args);
    ASSERT_TRUE(std::holds_alternative<UsageError>(r)) << args[0];
    EXPECT_FALSE(std::get<UsageError>(r).message.empty()) << args[0];
  }
  EXPECT_TRUE(std::get<UsageError>(parse({"--help"})).message.empty());
}

}  // namespace
}  // namespace tcpulse::agent
