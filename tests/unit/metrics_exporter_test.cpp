// The Prometheus export of a node snapshot: names, labels, per-pod aggregation.
#include "agent/metrics_exporter.h"

#include "agent/json_views.h"

#include <gtest/gtest.h>

#include "tests/support/prometheus_text.h"

namespace tcpulse::agent {
namespace {

using test::find_sample;

PodSnapshot pod(uint32_t ifindex, const std::string& ns, const std::string& name,
                const std::string& ifname, uint64_t eg_pkts, uint64_t in_bytes) {
  PodSnapshot p;
  p.ifindex = ifindex;
  p.record.pod_namespace = ns;
  p.record.pod_name = name;
  p.record.container_id = "c-" + name;
  p.record.ifname = ifname;
  p.stats.dir[TCPULSE_DIR_EGRESS].packets = eg_pkts;
  p.stats.dir[TCPULSE_DIR_INGRESS].bytes = in_bytes;
  return p;
}

TEST(MetricsExporter, PerPodCountersWithDirection) {
  NodeSnapshot snap;
  snap.pods = {pod(7, "shop", "cart", "eth0", 10, 5000), pod(8, "shop", "cart", "net1", 3, 100),
               pod(9, "db", "pg-0", "eth0", 0, 0)};
  snap.errors[TCPULSE_ERR_TRUNCATED_TCP] = 4;
  auto samples = test::parse_prometheus_text(render_text(pod_metric_families(snap)));

  // Two interfaces of one pod add up.
  EXPECT_EQ(find_sample(samples, "tcpulse_packets_total",
                        {{"namespace", "shop"}, {"pod", "cart"}, {"direction", "egress"}}), 13);
  EXPECT_EQ(find_sample(samples, "tcpulse_bytes_total",
                        {{"namespace", "shop"}, {"pod", "cart"}, {"direction", "ingress"}}), 5100);
  // A pod without traffic yet still has its series, at zero.
  EXPECT_EQ(find_sample(samples, "tcpulse_bytes_total",
                        {{"pod", "pg-0"}, {"direction", "egress"}}), 0);
  EXPECT_EQ(find_sample(samples, "tcpulse_pod_info", {{"pod", "cart"}, {"interface", "net1"}}), 1);
  EXPECT_EQ(find_sample(samples, "tcpulse_pod_info", {{"pod", "cart"}, {"host_ifindex", "7"}}), 1);
  EXPECT_EQ(find_sample(samples, "tcpulse_datapath_errors_total", {{"reason", "truncated_tcp"}}), 4);
  EXPECT_EQ(find_sample(samples, "tcpulse_datapath_errors_total", {{"reason", "truncated_ip"}}), 0);
}

TEST(MetricsExporter, TextHasTypeLines) {
  NodeSnapshot snap;
  snap.pods = {pod(1, "a", "b", "eth0", 1, 1)};
  std::string text = render_text(pod_metric_families(snap));
  EXPECT_NE(text.find("# TYPE tcpulse_packets_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE tcpulse_pod_info gauge"), std::string::npos);
}

TEST(MetricsExporter, LabelValuesAreEscaped) {
  NodeSnapshot snap;
  snap.pods = {pod(1, "a", "we\"ird\\pod", "eth0", 1, 1)};
  auto samples = test::parse_prometheus_text(render_text(pod_metric_families(snap)));
  EXPECT_EQ(find_sample(samples, "tcpulse_packets_total",
                        {{"pod", "we\"ird\\pod"}, {"direction", "egress"}}), 1);
}

TEST(PodsView, ListsEveryAddressAndDepartedPodsOnlyWhenAsked) {
  NodeSnapshot snap;
  snap.pods = {pod(1, "a", "dual", "eth0", 1, 1), pod(2, "a", "gone", "eth0", 1, 1)};
  snap.pods[0].record.ips = {"10.0.0.5", "fd00::5"};
  snap.pods[1].departed_ns = 42;
  auto present = pods_json(snap);
  ASSERT_EQ(present.size(), 1u);
  EXPECT_EQ(present[0]["ips"], nlohmann::json::array({"10.0.0.5", "fd00::5"}));
  EXPECT_EQ(present[0]["departed"], false);
  auto all = pods_json(snap, true);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1]["departed"], true);
}

}  // namespace
}  // namespace tcpulse::agent
