// Reconciliation on a live node when a map walk fails: the step that needed the walk is skipped
// and reported, and nothing is erased on the strength of the partial read. The defect: with the
// walk of pod records failing, every pod's counters were taken for orphans and erased, every slot
// freed and every flow expired without its counts kept.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/bpffs.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/pod_attachment.h"
#include "agent/datapath_maps.h"
#include "agent/collector.h"
#include "agent/reconciler.h"
#include "tests/support/test_pins.h"
#include "tests/support/agent_process.h"
#include "tests/support/privileges.h"
#include "tests/support/tcp_transfer.h"
#include "tests/support/test_node.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

std::filesystem::path pin_dir() { return test_pin_dir("walk"); }

uint64_t pod_egress_bytes(const AgentProcess& agent, const std::string& name) {
  for (const auto& p : json::parse(agent.get("/pods")))
    if (p["pod"] == name) return p["egress"]["bytes"];
  return 0;
}

// A map handle whose walk fails: a typed map over a descriptor that is not a map (a program's).
template <typename Map>
Map failing_map(const PinLayout& layout) {
  auto prog = open_pinned(layout.prog(TcHook::Ingress));
  EXPECT_TRUE(prog);
  return Map(std::move(prog).value());
}

struct State {
  size_t records = 0, accounts = 0, podstats = 0, flows = 0;
  std::vector<uint32_t> slot_owners;  // every CPU's copy of every pod slot: freeing one zeroes it
};

State datapath_state(const PinLayout& layout) {
  State s;
  auto maps = DatapathMaps::open(layout);
  EXPECT_TRUE(maps);
  EXPECT_TRUE(maps->pods.for_each([&](const auto&, const auto&) { s.records++; }));
  EXPECT_TRUE(maps->accounts.for_each([&](const auto&, const auto&) { s.accounts++; }));
  EXPECT_TRUE(maps->pod_stats.for_each([&](const auto&, const auto&) { s.podstats++; }));
  EXPECT_TRUE(maps->flows.for_each([&](const auto&, const auto&) { s.flows++; }));
  EXPECT_TRUE(maps->pod_slots.for_each([&](const auto&, const std::vector<tcpulse_pod_slot>& copies) {
    for (const auto& copy : copies) s.slot_owners.push_back(copy.ifindex);
  }));
  return s;
}

TEST(FailedWalk, SkipsItsStepAndLosesNoCounterSlotOrFlow) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  AgentProcess agent(pin_dir(), true, {"--reconcile-interval", "3600"});  // this test reconciles
  agent.wait_ready();
  TestNode node(pin_dir());
  TestPod client = node.add_pod("client"), server = node.add_pod("server");
  ASSERT_EQ(tcp_transfer(server.netns_path, server.ip, 7300, client.netns_path, 300'000).received,
            300'000u);
  PinLayout layout(pin_dir());
  uint64_t bytes = pod_egress_bytes(agent, "client");
  ASSERT_GT(bytes, 300'000u);
  State before = datapath_state(layout);
  ASSERT_GT(before.flows, 0u);
  ASSERT_EQ(before.records, 2u);

  // Every flow is closed and past a TTL of 0: a reconcile that goes on expires them all.
  ReconcileOptions expire_all{state_dir_for(pin_dir()), "", 0, 0};
  struct Case {
    const char* broken;
    const char* step;
  } cases[] = {{"pods", "collect"}, {"accounts", "sweep"}, {"flows", "expire"}, {"pod_stats", "sweep"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.broken);
    auto attachments = PodAttachments::open(layout);
    ASSERT_TRUE(attachments);
    auto flows = FlowTables::open(layout);
    ASSERT_TRUE(flows);
    auto& maps = attachments->maps();
    std::string broken = c.broken;
    if (broken == "pods") maps.pods = failing_map<PodMap>(layout);
    if (broken == "accounts") maps.accounts = failing_map<PodAccountMap>(layout);
    if (broken == "pod_stats") maps.pod_stats = failing_map<PodStatsMap>(layout);
    if (broken == "flows") flows->v4 = failing_map<Flow4Map>(layout);
    ReconcileReport report = reconcile(layout, attachments.value(), flows.value(), expire_all);
    EXPECT_NE(std::find(report.failed_steps.begin(), report.failed_steps.end(), c.step),
              report.failed_steps.end());
    State after = datapath_state(layout);
    EXPECT_EQ(after.records, before.records);
    EXPECT_EQ(after.accounts, before.accounts);
    EXPECT_EQ(after.podstats, before.podstats);
    // A pod's packets without a flow (neighbour discovery) may claim a copy meanwhile; a copy
    // owned before must still be.
    ASSERT_EQ(after.slot_owners.size(), before.slot_owners.size());
    for (size_t i = 0; i < before.slot_owners.size(); i++) {
      if (before.slot_owners[i]) {
        EXPECT_EQ(after.slot_owners[i], before.slot_owners[i]) << "copy " << i;
      }
    }
    // A failed sweep of event counters still lets flows expire: their counts go to accounts.
    if (broken != "pod_stats") {
      EXPECT_EQ(after.flows, before.flows);
    }
    EXPECT_GE(pod_egress_bytes(agent, "client"), bytes);
  }

  // With nothing broken the flows expire, and their counts stay with the pod.
  auto attachments = PodAttachments::open(layout);
  auto flows = FlowTables::open(layout);
  ASSERT_TRUE(attachments && flows);
  ReconcileReport report = reconcile(layout, attachments.value(), flows.value(), expire_all);
  EXPECT_TRUE(report.failed_steps.empty());
  EXPECT_EQ(datapath_state(layout).flows, 0u);
  EXPECT_GE(pod_egress_bytes(agent, "client"), bytes);
}

// The collector on a datapath it cannot read: the collection fails and says so (what /healthz
// answers 503 on), the model keeps its last good read, and the next good read recovers.
TEST(FailedWalk, ACollectionThatCannotReadKeepsTheLastModelAndSaysSo) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  AgentProcess agent(pin_dir(), true, {"--reconcile-interval", "3600"});
  agent.wait_ready();
  TestNode node(pin_dir());
  TestPod client = node.add_pod("client"), server = node.add_pod("server");
  ASSERT_EQ(tcp_transfer(server.netns_path, server.ip, 7301, client.netns_path, 100'000).received,
            100'000u);
  PinLayout layout(pin_dir());
  auto maps = DatapathMaps::open(layout);
  ASSERT_TRUE(maps) << maps.error().describe();
  agent::Collector collector(maps.value(), {}, nullptr);
  ASSERT_TRUE(collector.collect());
  ASSERT_EQ(collector.node().pods.size(), 2u);
  size_t connections = collector.connections().connections().size();
  EXPECT_GT(connections, 0u);

  PodMap good = std::move(maps->pods);
  maps->pods = failing_map<PodMap>(layout);
  EXPECT_FALSE(collector.collect());
  EXPECT_TRUE(collector.stats().last_failed);
  EXPECT_EQ(collector.stats().failures, 1u);
  EXPECT_FALSE(collector.stats().last_error.empty());
  EXPECT_EQ(collector.node().pods.size(), 2u) << "the last good model stays";
  EXPECT_EQ(collector.connections().connections().size(), connections);

  maps->pods = std::move(good);
  EXPECT_TRUE(collector.collect());
  EXPECT_FALSE(collector.stats().last_failed);
  EXPECT_EQ(collector.stats().collections, 2u);
}

}  // namespace
}  // namespace tcpulse::test
