// The pod ledger without root or BPF: accounts opened at ADD, expired flows folded, totals, and
// the one property everything else rests on: a pod's counters never go back.
#include "tc-bpf/lib/pod_ledger.h"

#include <gtest/gtest.h>

namespace tcpulse {
namespace {

tcpulse_pod_slot copy(uint32_t owner, uint64_t egress_packets, uint64_t ingress_bytes) {
  tcpulse_pod_slot s{};
  s.ifindex = owner;
  s.dir[TCPULSE_DIR_EGRESS].packets = egress_packets;
  s.dir[TCPULSE_DIR_EGRESS].bytes = egress_packets * 100;
  s.dir[TCPULSE_DIR_INGRESS].packets = ingress_bytes / 10;
  s.dir[TCPULSE_DIR_INGRESS].bytes = ingress_bytes;
  return s;
}

tcpulse_flow_stats flow(uint64_t first_seen, uint64_t egress_packets, uint64_t egress_bytes) {
  tcpulse_flow_stats f{};
  f.first_seen_ns = first_seen;
  f.egress.packets = egress_packets;
  f.egress.bytes = egress_bytes;
  f.ingress.packets = egress_packets / 2;
  f.ingress.bytes = egress_packets * 40;
  return f;
}

// A pod's exported packets and bytes, as the agent computes them.
std::pair<uint64_t, uint64_t> egress(const tcpulse_pod_account& account, const SlotTraffic& slot,
                                     const std::vector<tcpulse_flow_stats>& live_flows,
                                     const tcpulse_pod_stats& events = {}) {
  tcpulse_pod_stats totals = pod_totals(account, events, slot);
  for (const auto& f : live_flows)
    if (flow_is_pods(f, account)) add_live_flow(totals, f);
  return {totals.dir[TCPULSE_DIR_EGRESS].packets, totals.dir[TCPULSE_DIR_EGRESS].bytes};
}

TEST(PodLedger, OnlyTheCopiesAPodOwnsAreItsSlotTraffic) {
  // CPU 0 and 2 belong to ifindex 5; CPU 1 to another pod sharing the slot; CPU 3 is free.
  std::vector<tcpulse_pod_slot> per_cpu = {copy(5, 3, 700), copy(5 + TCPULSE_POD_SLOTS, 40, 9000),
                                           copy(5, 4, 300), copy(0, 0, 0)};
  auto owned = owned_slot_traffic(per_cpu, 5);
  EXPECT_EQ(owned[TCPULSE_DIR_EGRESS].packets, 7u);
  EXPECT_EQ(owned[TCPULSE_DIR_EGRESS].bytes, 700u);
  EXPECT_EQ(owned[TCPULSE_DIR_INGRESS].bytes, 1000u);
  EXPECT_EQ(owned_slot_traffic(per_cpu, 5 + TCPULSE_POD_SLOTS)[TCPULSE_DIR_EGRESS].packets, 40u);
  EXPECT_EQ(owned_slot_traffic(per_cpu, 6)[TCPULSE_DIR_EGRESS].packets, 0u);
}

// The bridge plugin gives a new pod the ifindex of one just deleted: it starts from zero, though
// the slot's copies and flows the former pod left are still there.
TEST(PodLedger, ANewOwnerOfAnIfindexStartsFromZero) {
  SlotTraffic left_in_slot{};
  left_in_slot[TCPULSE_DIR_EGRESS] = {.packets = 100, .bytes = 10000};
  tcpulse_pod_account former = open_pod_account(std::nullopt, false, {}, 1000);
  former.flow_base[TCPULSE_DIR_EGRESS] = {.packets = 9, .bytes = 900};
  std::vector<tcpulse_flow_stats> flows = {flow(2000, 50, 5000)};  // the former pod's

  tcpulse_pod_account account = open_pod_account(former, /*same_attachment=*/false, left_in_slot, 5000);
  EXPECT_EQ(account.attached_ns, 5000u);
  EXPECT_EQ(egress(account, left_in_slot, flows), std::make_pair(uint64_t{0}, uint64_t{0}));
  // Then exactly its own packets: 10 more in the slot, a flow of its own.
  SlotTraffic later = left_in_slot;
  later[TCPULSE_DIR_EGRESS].packets += 10;
  later[TCPULSE_DIR_EGRESS].bytes += 1000;
  flows.push_back(flow(6000, 3, 300));
  EXPECT_EQ(egress(account, later, flows), std::make_pair(uint64_t{13}, uint64_t{1300}));
}

TEST(PodLedger, ARepeatedAddKeepsTheAccount) {
  tcpulse_pod_account account = open_pod_account(std::nullopt, false, {}, 1000);
  account.flow_base[TCPULSE_DIR_EGRESS] = {.packets = 7, .bytes = 700};
  SlotTraffic slot{};
  slot[TCPULSE_DIR_EGRESS] = {.packets = 5, .bytes = 500};
  tcpulse_pod_account again = open_pod_account(account, /*same_attachment=*/true, slot, 9000);
  EXPECT_EQ(again.attached_ns, 1000u);
  EXPECT_EQ(egress(again, slot, {}), std::make_pair(uint64_t{12}, uint64_t{1200}));
}

// The agent folds a flow into its account and then removes it, in one reconcile: a scrape
// before and one after see the same counts. Were the agent to stop in between (the account
// written, the flow still there), the flow would count twice, never zero times.
TEST(PodLedger, AFlowExpiredMidScrapeNeverTakesItsCountsAway) {
  tcpulse_pod_account account = open_pod_account(std::nullopt, false, {}, 1000);
  std::vector<tcpulse_flow_stats> flows = {flow(2000, 40, 4000), flow(3000, 2, 200)};
  auto before = egress(account, {}, flows);
  tcpulse_pod_account folded = account;
  fold_expired_flow(folded, flows[0]);
  auto between = egress(folded, {}, flows);
  flows.erase(flows.begin());
  auto after = egress(folded, {}, flows);
  EXPECT_EQ(before, std::make_pair(uint64_t{42}, uint64_t{4200}));
  EXPECT_GE(between.first, before.first);
  EXPECT_EQ(after, before);
}

// A slot two pods share (ifindexes equal modulo the slot count): each counts only its copies, and
// a pod whose copy another took counts in its event hash instead; neither sees the other's.
TEST(PodLedger, ASlotSharedByTwoPodsCountsEachOnce) {
  uint32_t a = 7, b = 7 + TCPULSE_POD_SLOTS;
  std::vector<tcpulse_pod_slot> per_cpu = {copy(a, 10, 0), copy(b, 20, 0)};
  tcpulse_pod_account account_a = open_pod_account(std::nullopt, false, {}, 1);
  tcpulse_pod_account account_b = open_pod_account(std::nullopt, false, {}, 1);
  tcpulse_pod_stats b_events{};
  b_events.dir[TCPULSE_DIR_EGRESS] = {.packets = 3, .bytes = 300};  // b on CPU 0, a's copy
  EXPECT_EQ(egress(account_a, owned_slot_traffic(per_cpu, a), {}).first, 10u);
  EXPECT_EQ(egress(account_b, owned_slot_traffic(per_cpu, b), {}, b_events).first, 23u);
}

// Every step above in one pod's life: ADD, traffic, a repeated ADD, flows expiring, more
// traffic. Each scrape's counters are at least the last one's.
TEST(PodLedger, CountersNeverGoBack) {
  SlotTraffic slot{};
  slot[TCPULSE_DIR_EGRESS] = {.packets = 30, .bytes = 3000};  // a former pod's
  tcpulse_pod_account account = open_pod_account(std::nullopt, false, slot, 100);
  std::vector<tcpulse_flow_stats> flows;
  std::pair<uint64_t, uint64_t> last{0, 0};
  auto scrape = [&] {
    auto now = egress(account, slot, flows);
    EXPECT_GE(now.first, last.first);
    EXPECT_GE(now.second, last.second);
    last = now;
  };
  for (int round = 0; round < 20; round++) {
    slot[TCPULSE_DIR_EGRESS].packets += round % 3;
    slot[TCPULSE_DIR_EGRESS].bytes += (round % 3) * 100;
    flows.push_back(flow(200 + round, 1 + round, 100 * (1 + round)));
    for (auto& f : flows) f.egress.packets++, f.egress.bytes += 100;
    scrape();
    if (round % 4 == 3) account = open_pod_account(account, /*same_attachment=*/true, slot, 999);
    scrape();
    if (round % 2 == 1 && !flows.empty()) {
      // Folded and removed in one reconcile, on the event loop that also answers scrapes.
      fold_expired_flow(account, flows.front());
      flows.erase(flows.begin());
      scrape();
    }
  }
  EXPECT_GT(last.first, 0u);
}

// A base above the copies (never the case, but a wrap to 2^64 would be a disaster) reads as 0.
TEST(PodLedger, ABaseAboveTheCopiesNeverWrapsACounter) {
  SlotTraffic base{};
  base[TCPULSE_DIR_EGRESS] = {.packets = 5, .bytes = 5};
  tcpulse_pod_account account = open_pod_account(std::nullopt, false, base, 1);
  SlotTraffic owned{};
  owned[TCPULSE_DIR_EGRESS] = {.packets = 1, .bytes = 1};
  EXPECT_EQ(egress(account, owned, {}), std::make_pair(uint64_t{0}, uint64_t{0}));
}

TEST(PodLedger, AHostSocketsFlowCountsUnderThePodItsCgroupNames) {
  tcpulse_flow_stats flow{};
  EXPECT_EQ(flow_owner(7, flow), 7u);  // a veth pod's: its ifindex
  flow.pod_key = TCPULSE_HOST_FLOWS + 3;
  EXPECT_EQ(flow_owner(7, flow), 7u);  // pod_key means nothing on a veth's flow
  EXPECT_EQ(flow_owner(TCPULSE_HOST_FLOWS, flow), TCPULSE_HOST_FLOWS + 3);
  EXPECT_TRUE(tcpulse_is_host_pod_key(flow_owner(TCPULSE_HOST_FLOWS, flow)));
  flow.pod_key = 0;  // not named yet: no pod
  EXPECT_FALSE(tcpulse_is_host_pod_key(flow_owner(TCPULSE_HOST_FLOWS, flow)));
  flow.pod_key = TCPULSE_HOST_FLOWS;  // nobody's
  EXPECT_FALSE(tcpulse_is_host_pod_key(flow_owner(TCPULSE_HOST_FLOWS, flow)));
  EXPECT_FALSE(tcpulse_is_host_pod_key(0x7fffffff));  // the largest ifindex
}

}  // namespace
}  // namespace tcpulse
