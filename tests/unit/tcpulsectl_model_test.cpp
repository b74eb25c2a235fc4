// tcpulsectl's table model without a terminal: rates from two reads of /pods and /flows, RTT
// quantiles of an interval's samples, sorting, filtering, thresholds, the keys of `top`, and
// the frame it draws.
#include <gtest/gtest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "agent/ctl/agent_client.h"
#include "agent/ctl/flow_rates.h"
#include "agent/ctl/human_units.h"
#include "agent/ctl/pod_rates.h"
#include "agent/ctl/tables.h"
#include "agent/ctl/top_view.h"

namespace tcpulse::ctl {
namespace {

using json = nlohmann::json;

// A /pods entry: bytes and packets each way, retransmissions sent, resets, RTT bucket counts.
json pod(const std::string& ns, const std::string& name, uint64_t tx, uint64_t rx, uint64_t packets_out,
         uint64_t retrans, uint64_t resets, std::vector<uint64_t> rtt_buckets, uint64_t opened = 0) {
  return {{"namespace", ns},
          {"pod", name},
          {"egress", {{"bytes", tx}, {"packets", packets_out}, {"retransmitted_segments", retrans}, {"resets", resets}, {"zero_window_segments", 0}}},
          {"ingress", {{"bytes", rx}, {"packets", 10}, {"retransmitted_segments", 0}, {"resets", 0}, {"zero_window_segments", 2}}},
          {"active_connections", 3},
          {"connections_opened", {{"client", opened}, {"server", 0}}},
          {"connections_closed", 0},
          {"rtt", {{"bucket0_ns", 25000}, {"buckets", rtt_buckets}, {"sum_ns", 0}}},
          {"departed", false}};
}

TEST(PodRates, RatesAndQuantilesComeFromTheIntervalBetweenTwoReads) {
  // 1000 samples under 25 us before; in the interval, 100 more there and 100 in (200, 400] us.
  PodsRead a = pods_read(json::array({pod("shop", "cart", 1000, 500, 100, 0, 0, {1000, 0, 0, 0, 0, 0})}), 10.0);
  PodsRead b = pods_read(json::array({pod("shop", "cart", 5000, 2500, 300, 20, 4, {1100, 0, 0, 0, 100, 0}, 6)}), 12.0);
  auto rows = pod_rows(&a, b, {});
  ASSERT_EQ(rows.size(), 1u);
  const PodRow& r = rows[0];
  EXPECT_DOUBLE_EQ(r.tx_bytes_per_s, 2000);
  EXPECT_DOUBLE_EQ(r.rx_bytes_per_s, 1000);
  EXPECT_DOUBLE_EQ(r.retrans_ratio, 0.1);  // 20 of 200 segments sent
  EXPECT_DOUBLE_EQ(r.resets_per_s, 2);
  EXPECT_DOUBLE_EQ(r.zero_windows_per_s, 0);
  EXPECT_DOUBLE_EQ(r.opened_per_s, 3);
  EXPECT_EQ(r.active, 3u);
  // p50: the 100th of 200 samples, at the top of the first bucket; p99 inside (200, 400] us.
  EXPECT_NEAR(r.rtt_p50_s, 25e-6, 1e-9);
  EXPECT_NEAR(r.rtt_p99_s, 200e-6 + 200e-6 * 98.0 / 100.0, 1e-9);
  EXPECT_DOUBLE_EQ(bucket_quantile(0.5, 25000, {0, 0, 0}), -1);
  EXPECT_DOUBLE_EQ(bucket_quantile(0.99, 25000, {0, 0, 5}), 50e-6);  // the unbounded bucket: its floor
}

TEST(PodRates, ANewPodHasNoRatesAndACounterThatWentDownCountsFromZero) {
  PodsRead a = pods_read(json::array({pod("a", "old", 1000, 0, 0, 0, 0, {})}), 0);
  PodsRead b = pods_read(json::array({pod("a", "old", 300, 0, 0, 0, 0, {}), pod("a", "new", 9000, 0, 0, 0, 0, {})}), 1);
  auto rows = pod_rows(&a, b, {});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[0].tx_bytes_per_s, 300);  // reset: 300 since
  EXPECT_DOUBLE_EQ(rows[1].tx_bytes_per_s, 0);
  EXPECT_DOUBLE_EQ(rows[1].rtt_p99_s, -1);
  EXPECT_TRUE(pod_rows(nullptr, b, {})[0].tx_bytes_per_s == 0);
  // Departed pods and entries of another shape are left out.
  json odd = json::array({pod("a", "gone", 1, 1, 1, 0, 0, {}), json{{"namespace", "x"}}});
  odd[0]["departed"] = true;
  EXPECT_TRUE(pods_read(odd, 0).pods.empty());
}

TEST(PodRates, SortingFilteringAndThresholds) {
  PodsRead a = pods_read(json::array({pod("shop", "cart", 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                                      pod("shop", "db", 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                                      pod("ops", "prom", 0, 0, 0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0})}),
                         0);
  PodsRead b = pods_read(json::array({pod("shop", "cart", 100, 0, 100, 1, 0, {10, 0, 0, 0, 0, 0, 0, 0, 0, 0}),
                                      pod("shop", "db", 900, 0, 100, 5, 0, {0, 0, 0, 0, 0, 0, 0, 10, 0, 0}),
                                      pod("ops", "prom", 500, 0, 100, 0, 0, {10, 0, 0, 0, 0, 0, 0, 0, 0, 0})}),
                         1);
  Thresholds t{0.002, 0.03};  // 2 ms, 3%
  auto rows = pod_rows(&a, b, t);
  sort_rows(rows, PodColumn::Tx);
  EXPECT_EQ(rows[0].pod, "db");
  EXPECT_EQ(rows[2].pod, "cart");
  sort_rows(rows, PodColumn::Name);
  EXPECT_EQ(rows[0].key(), "ops/prom");
  sort_rows(rows, PodColumn::RttP99);
  EXPECT_EQ(rows[0].pod, "db");
  EXPECT_TRUE(rows[0].rtt_warn);     // ~3.2 ms
  EXPECT_TRUE(rows[0].retrans_warn);  // 5%
  EXPECT_FALSE(rows[1].warn());
  EXPECT_FALSE(rows[2].warn());
  auto shop = filter_rows(rows, "shop/");
  EXPECT_EQ(shop.size(), 2u);
  EXPECT_EQ(filter_rows(rows, "prom").size(), 1u);
  EXPECT_EQ(filter_rows(rows, "").size(), 3u);
}

TEST(FlowRates, ConnectionRowsComeFromTwoReadsOfFlows) {
  auto flow = [](uint64_t tx, uint64_t samples, uint64_t mean_ns, uint64_t first_seen) {
    return json{{"namespace", "shop"}, {"pod", "cart"}, {"local", "10.0.0.2"}, {"local_port", 40000},
                {"remote", "10.0.0.3"}, {"remote_port", 5432}, {"role", "client"}, {"state", "established"},
                {"egress", {{"bytes", tx}, {"packets", tx / 100}, {"retransmitted_segments", 0}, {"resets", 0}, {"zero_window_segments", 0}}},
                {"ingress", {{"bytes", 0}, {"packets", 0}, {"retransmitted_segments", 0}, {"resets", 1}, {"zero_window_segments", 0}}},
                {"rtt_samples", samples}, {"rtt_mean_ns", mean_ns}, {"rtt_max_ns", 900000}, {"first_seen_ns", first_seen}};
  };
  FlowsRead a = flows_read(json{{"flows", {flow(1000, 10, 100000, 7)}}}, 0);
  FlowsRead b = flows_read(json{{"flows", {flow(3000, 20, 150000, 7), flow(500, 0, 0, 8)}}}, 2);
  auto rows = flow_rows(&a, b, {0.0001, 0});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[0].tx_bytes_per_s, 1000);
  EXPECT_NEAR(rows[0].rtt_mean_s, 200e-6, 1e-12);  // (20*150 - 10*100) us / 10 samples
  EXPECT_DOUBLE_EQ(rows[0].rtt_max_s, 900e-6);
  EXPECT_EQ(rows[0].resets, 1u);
  EXPECT_TRUE(rows[0].rtt_warn);
  EXPECT_EQ(rows[0].peer, "10.0.0.3");
  EXPECT_EQ(rows[0].peer_port, 5432);
  EXPECT_DOUBLE_EQ(rows[1].tx_bytes_per_s, 250);  // new since: all of it in the interval
  EXPECT_DOUBLE_EQ(rows[1].rtt_mean_s, -1);
}

TEST(TopKeys, MoveSortFilterOpenAndQuit) {
  std::vector<PodRow> rows(3);
  rows[0].pod_namespace = "a", rows[0].pod = "x";
  rows[1].pod_namespace = "b", rows[1].pod = "y";
  rows[2].pod_namespace = "c", rows[2].pod = "z";
  TopState s;
  handle_key(s, kKeyDown, rows);
  handle_key(s, kKeyDown, rows);
  handle_key(s, kKeyDown, rows);
  EXPECT_EQ(s.selected, 2u);  // stops at the last row
  handle_key(s, kKeyUp, rows);
  EXPECT_EQ(s.selected, 1u);
  handle_key(s, '>', rows);
  EXPECT_EQ(s.sort, PodColumn::Rx);
  handle_key(s, '<', rows);
  handle_key(s, '<', rows);
  EXPECT_EQ(s.sort, PodColumn::Name);
  handle_key(s, '<', rows);
  EXPECT_EQ(s.sort, PodColumn::ZeroWindows);  // wraps
  handle_key(s, '/', rows);
  for (char c : std::string("shopq")) handle_key(s, c, rows);  // q is text while typing
  handle_key(s, kKeyBackspace, rows);
  EXPECT_FALSE(s.quit);
  handle_key(s, kKeyEnter, rows);
  EXPECT_EQ(s.filter, "shop");
  EXPECT_FALSE(s.typing);
  EXPECT_TRUE(handle_key(s, kKeyEnter, rows));
  EXPECT_EQ(s.mode, TopMode::Connections);
  EXPECT_EQ(s.pod, "a/x");  // the selection went back to the first row with the filter
  EXPECT_TRUE(handle_key(s, kKeyEscape, rows));
  EXPECT_EQ(s.mode, TopMode::Pods);
  handle_key(s, kKeyEscape, rows);
  EXPECT_EQ(s.filter, "");
  handle_key(s, 'q', rows);
  EXPECT_TRUE(s.quit);
}

TEST(TopFrame, HeaderRowsHighlightsAndScrolling) {
  TopState s;
  FrameData d;
  d.agent = "127.0.0.1:9965";
  d.has_rates = true;
  for (int i = 0; i < 30; ++i) {
    PodRow r;
    r.pod_namespace = "ns";
    r.pod = "pod-" + std::to_string(i);
    r.tx_bytes_per_s = 1.5e6;
    r.rtt_p99_s = 0.0123;
    r.retrans_warn = i == 3;
    d.pods.push_back(r);
  }
  auto lines = render_frame(s, d, 200, 0);
  ASSERT_EQ(lines.size(), 33u);  // title, status, header, 30 rows: --once shows all
  EXPECT_NE(lines[0].text.find("30 pods"), std::string::npos);
  EXPECT_NE(lines[2].text.find("TX/s*"), std::string::npos) << lines[2].text;  // the sort column
  EXPECT_NE(lines[3].text.find("ns/pod-0"), std::string::npos);
  EXPECT_NE(lines[3].text.find("1.5 MB/s"), std::string::npos) << lines[3].text;
  EXPECT_NE(lines[3].text.find("12.3 ms"), std::string::npos) << lines[3].text;
  EXPECT_EQ(lines[6].style, LineStyle::Warn);
  s.selected = 25;
  lines = render_frame(s, d, 80, 10);
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines.back().style, LineStyle::Selected);
  EXPECT_NE(lines.back().text.find("pod-25"), std::string::npos);
  for (const auto& l : lines) EXPECT_LE(l.text.size(), 80u);
  d.problem = "reconnecting: agent 127.0.0.1:9965: Connection refused";
  EXPECT_EQ(render_frame(s, d, 200, 10)[1].text, d.problem);
}

TEST(CtlText, UnitsTablesAndAgentAddresses) {
  EXPECT_EQ(bytes_per_s(1.5e6), "1.5 MB/s");
  EXPECT_EQ(bytes_per_s(0.2), "0");
  EXPECT_EQ(duration_s(240e-6), "240 us");
  EXPECT_EQ(duration_s(0.0123), "12.3 ms");
  EXPECT_EQ(duration_s(-1), "-");
  EXPECT_EQ(percent(0.0123), "1.23%");
  EXPECT_EQ(aligned_table({{"A", "BB"}, {"ccc", "d"}}), "A    BB\nccc   d\n");
  EXPECT_EQ(parse_agent_url("http://10.0.0.1:19965/").text(), "10.0.0.1:19965");
  EXPECT_EQ(parse_agent_url("node-1").text(), "node-1:9965");
  EXPECT_EQ(parse_agent_url("[::1]:80").host, "::1");
  EXPECT_THROW(parse_agent_url("https://x"), std::invalid_argument);
  EXPECT_THROW(parse_agent_url("x:99999"), std::invalid_argument);
  EXPECT_THROW(parse_agent_url("x/metrics"), std::invalid_argument);
  EXPECT_EQ(with_query("/flows", {{"pod", "a b"}, {"peer", "fe80::1"}}), "/flows?pod=a%20b&peer=fe80::1");
  std::string status = status_text(json{{"version", "1.0"}, {"abi", 10}, {"pods", {{"attached", 2}, {"departed", 0}}},
                                        {"pending", json::array({{{"namespace", "a"}, {"pod", "b"}, {"interface", "eth0"}}})},
                                        {"attach_failures", json::array({{{"namespace", "a"}, {"pod", "c"}, {"source", "queued"}, {"error", "no such device"}}})}});
  EXPECT_NE(status.find("pods attached         2"), std::string::npos) << status;
  EXPECT_NE(status.find("  a/b (eth0)"), std::string::npos) << status;
  EXPECT_NE(status.find("  a/c (queued): no such device"), std::string::npos) << status;
}

TEST(CtlText, AHostNetworkPodsRowSaysHostForItsInterface) {
  std::string table = pods_table(json::array(
      {{{"namespace", "a"}, {"pod", "veth-pod"}, {"host_ifindex", 42}, {"host_network", false}},
       {{"namespace", "kube-system"}, {"pod", "node-dns"}, {"host_ifindex", 0}, {"host_network", true}}}));
  std::istringstream lines(table);
  std::string header, veth, host;
  std::getline(lines, header);
  std::getline(lines, veth);
  std::getline(lines, host);
  EXPECT_NE(veth.find(" 42 "), std::string::npos) << table;
  EXPECT_NE(host.find(" host "), std::string::npos) << table;
}

}  // namespace
}  // namespace tcpulse::ctl
