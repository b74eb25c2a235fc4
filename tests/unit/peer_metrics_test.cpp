// Per-peer series: top-K by interval bytes, folding into "other", the node cap, idle folding, and
// counters that never go back through any of it.
#include "agent/peer_metrics.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "agent/metrics_exporter.h"
#include "tests/support/prometheus_text.h"

namespace tcpulse::agent {
namespace {

using test::find_sample;
constexpr uint64_t kSecond = 1'000'000'000ULL;

Connection to_peer(int last_octet, uint16_t port = 443) {
  Connection c;
  c.id.key.family = TCPULSE_AF_INET;
  c.id.key.remote_port = htons(port);
  c.id.key.remote_addr[0] = 10, c.id.key.remote_addr[3] = static_cast<uint8_t>(last_octet);
  c.role = TCPULSE_FLOW_ROLE_CLIENT;
  return c;
}

ConnectionCounters sent(uint64_t bytes, uint64_t retrans = 0) {
  ConnectionCounters d;
  d.dir[TCPULSE_DIR_EGRESS].bytes = bytes;
  d.dir[TCPULSE_DIR_EGRESS].retrans_segments = retrans;
  return d;
}

std::optional<double> egress_bytes(const PeerAggregator& a, const std::string& peer) {
  auto samples = test::parse_prometheus_text(render_text(a.families()));
  return find_sample(samples, "tcpulse_peer_bytes_total",
                     {{"pod", "web"}, {"peer", peer}, {"direction", "egress"}});
}

TEST(PeerMetrics, TheBusiestPeersGetSeriesAndTheRestAreOther) {
  PeerAggregator a({2, 100, 60 * kSecond});
  for (int peer = 1; peer <= 5; peer++) a.add("shop", "web", to_peer(peer), sent(peer * 100, peer));
  a.end_collection(10 * kSecond);
  EXPECT_EQ(egress_bytes(a, "10.0.0.5"), 500);
  EXPECT_EQ(egress_bytes(a, "10.0.0.4"), 400);
  EXPECT_FALSE(egress_bytes(a, "10.0.0.3"));
  EXPECT_EQ(egress_bytes(a, "other"), 300 + 200 + 100);
  EXPECT_EQ(a.series(), 2u);
  auto samples = test::parse_prometheus_text(render_text(a.families()));
  EXPECT_EQ(find_sample(samples, "tcpulse_peer_series_folded_total", {{"reason", "top_k"}}), 3);
  EXPECT_EQ(find_sample(samples, "tcpulse_peer_retransmitted_segments_total",
                        {{"peer", "10.0.0.5"}, {"port", "443"}, {"role", "client"}, {"direction", "egress"}}),
            5);
}

TEST(PeerMetrics, APeerOutOfTheTopKeepsItsSeriesUntilIdleThenItsCountsStayInOther) {
  PeerAggregator a({1, 100, 60 * kSecond});
  a.add("shop", "web", to_peer(1), sent(1000));
  a.end_collection(0);
  // Another peer is busier now; the first still moves a little: its series goes on.
  a.add("shop", "web", to_peer(1), sent(10));
  a.add("shop", "web", to_peer(2), sent(5000));
  a.end_collection(5 * kSecond);
  EXPECT_EQ(egress_bytes(a, "10.0.0.1"), 1010);
  EXPECT_EQ(egress_bytes(a, "10.0.0.2"), 5000);
  double other_before = egress_bytes(a, "other").value_or(0);
  // Silent for the grace period: folded, whole, into other; nothing goes back.
  a.add("shop", "web", to_peer(2), sent(1));
  a.end_collection(66 * kSecond);
  EXPECT_FALSE(egress_bytes(a, "10.0.0.1"));
  EXPECT_EQ(egress_bytes(a, "other"), other_before + 1010);
  EXPECT_EQ(egress_bytes(a, "10.0.0.2"), 5001);
}

TEST(PeerMetrics, TheNodeCapFoldsNewPeersIntoOther) {
  PeerAggregator a({10, 3, 60 * kSecond});
  for (int peer = 1; peer <= 5; peer++) a.add("shop", "web", to_peer(peer), sent(peer * 100));
  a.end_collection(kSecond);
  EXPECT_EQ(a.series(), 3u);
  EXPECT_EQ(egress_bytes(a, "other"), 200 + 100);
  auto samples = test::parse_prometheus_text(render_text(a.families()));
  EXPECT_EQ(find_sample(samples, "tcpulse_peer_series_folded_total", {{"reason", "node_cap"}}), 2);
}

TEST(PeerMetrics, RttIsCountedAtEachIntervalsMean) {
  PeerAggregator a({10, 100, 60 * kSecond});
  ConnectionCounters d = sent(100);
  d.rtt_samples = 4;
  d.rtt_sum_ns = 4 * 1'000'000;  // 1 ms each
  a.add("shop", "web", to_peer(9), d);
  a.end_collection(kSecond);
  auto samples = test::parse_prometheus_text(render_text(a.families()));
  EXPECT_EQ(find_sample(samples, "tcpulse_peer_rtt_seconds_bucket", {{"peer", "10.0.0.9"}, {"le", "0.0008"}}), 0);
  EXPECT_EQ(find_sample(samples, "tcpulse_peer_rtt_seconds_bucket", {{"peer", "10.0.0.9"}, {"le", "0.0016"}}), 4);
  EXPECT_EQ(find_sample(samples, "tcpulse_peer_rtt_seconds_count", {{"peer", "10.0.0.9"}}), 4);
}

TEST(PeerMetrics, APodsSeriesGoWithThePod) {
  PeerAggregator a({10, 100, 60 * kSecond});
  a.add("shop", "web", to_peer(1), sent(100));
  a.add("shop", "db", to_peer(2), sent(100));
  a.end_collection(kSecond);
  a.keep_only({{"shop", "db"}});
  EXPECT_EQ(a.series(), 1u);
  EXPECT_FALSE(egress_bytes(a, "10.0.0.1"));
}

}  // namespace
}  // namespace tcpulse::agent
