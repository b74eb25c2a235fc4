// The flow table under BPF_PROG_TEST_RUN: where flows live (their slot, or the overflow hash on a
// collision), the slot protocol's states (being claimed, retired, freed), and exact counts when two CPUs
// update one flow. The hash the agent uses to find a slot must be the datapath's: every test that
// looks a flow up in its slot checks that too.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "tcpulse/abi.h"
#include "tests/support/datapath_fixture.h"
#include "tests/support/packet_builder.h"
#include "tests/support/privileges.h"

namespace tcpulse::test {
namespace {

const std::string kPod = "10.1.0.5", kPeer = "10.1.0.9";
const std::string kPod6 = "fd00::5", kPeer6 = "fd00::9";

class FlowTable : public DatapathFixture {
 protected:
  void SetUp() override {
    DatapathFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tables_ = dut_->flow_tables();
    ASSERT_GT(tables_.slots.size(), 0u);
  }

  // One data segment the pod sends on the flow key names.
  std::vector<uint8_t> data(const FlowKey& k, size_t payload = 100) {
    bool v6 = k.family == TCPULSE_AF_INET6;
    PacketBuilder b;
    if (v6) b.ipv6(v6 ? kPod6 : kPod, v6 ? kPeer6 : kPeer);
    else b.ipv4(address(k.local_addr), address(k.remote_addr));
    return b.tcp(ntohs(k.local_port), ntohs(k.remote_port)).ack(1).payload(payload).build();
  }
  static std::string address(const uint8_t* a) {
    return std::to_string(a[0]) + "." + std::to_string(a[1]) + "." + std::to_string(a[2]) + "." +
           std::to_string(a[3]);
  }
  static FlowKey v4(uint16_t local_port, const std::string& remote = kPeer) {
    return tcp_flow_key(false, kPod, local_port, remote, 80);
  }
  size_t index(const FlowKey& k) const { return flow_hash(k) & (tables_.slots.size() - 1); }
  // n keys other than k that the hash puts in k's slot.
  std::vector<FlowKey> all_colliding_with(const FlowKey& k, size_t n) const {
    std::vector<FlowKey> found;
    for (int host = 1; host < 255 && found.size() < n; host++)
      for (uint32_t port = 1; port < 65536 && found.size() < n; port++) {
        FlowKey other = tcp_flow_key(false, kPod, static_cast<uint16_t>(port),
                                     "10.2.0." + std::to_string(host), 80);
        if (!(other == k) && index(other) == index(k)) found.push_back(other);
      }
    if (found.size() < n) ADD_FAILURE() << "not enough colliding keys found";
    return found;
  }
  FlowKey colliding_with(const FlowKey& k) const {
    auto found = all_colliding_with(k, 1);
    return found.empty() ? k : found[0];
  }
  // Fills the IPv4 overflow hash with another pod's flows; returns how many it holds.
  size_t fill_overflow() {
    tcpulse_flow_stats filler{};
    filler.egress.packets = 7;
    size_t filled = 0;
    for (uint32_t i = 0; i < (1u << 22); i++, filled++) {
      tcpulse_flow4_key fk{};
      fk.ifindex = kTestIfindex + 1;  // another pod's, so they never count as this one's
      fk.local_port = static_cast<__u16>(i);
      fk.remote_port = static_cast<__u16>(i >> 16);
      if (!tables_.v4.put(fk, filler)) break;
    }
    EXPECT_GT(filled, 0u);
    EXPECT_LT(filled, 1u << 22) << "the overflow hash never filled";
    return filled;
  }
  // A segment of the connection k names, sent by the pod (egress) or to it (ingress).
  static std::vector<uint8_t> segment(const FlowKey& k, int dir, uint8_t flags) {
    std::string local = address(k.local_addr), remote = address(k.remote_addr);
    PacketBuilder b;
    if (dir == TCPULSE_DIR_EGRESS) b.ipv4(local, remote).tcp(ntohs(k.local_port), ntohs(k.remote_port));
    else b.ipv4(remote, local).tcp(ntohs(k.remote_port), ntohs(k.local_port));
    b.flags(flags);
    if (flags & 0x10) b.ack(1);
    return b.build();
  }
  size_t overflow_flows() const {
    size_t n = 0;
    EXPECT_TRUE(tables_.v4.for_each([&](const auto&, const auto&) { n++; }));
    EXPECT_TRUE(tables_.v6.for_each([&](const auto&, const auto&) { n++; }));
    return n;
  }

  FlowTables tables_;
};

TEST_F(FlowTable, NewFlowsTakeTheirSlotNotTheOverflow) {
  for (bool v6 : {false, true}) {
    FlowKey k = v6 ? tcp_flow_key(true, kPod6, 40000, kPeer6, 80) : v4(40000);
    dut_->set_time(5000);
    dut_->run(TCPULSE_DIR_EGRESS, data(k, 100));
    dut_->run(TCPULSE_DIR_EGRESS, data(k, 200));

    const tcpulse_flow_slot& slot = tables_.slots.slot_of(k);
    EXPECT_EQ(slot.tag, tcpulse_flow_tag(flow_hash(k), v6)) << "v6=" << v6;
    FlowKeyWords words = to_key_words(k);
    EXPECT_EQ(0, memcmp(slot.key, words.data(), sizeof(slot.key)));
    // An IPv4 flow's key is also in both directions' lines, where its packets look first.
    for (const tcpulse_flow_dir* line : {&slot.stats.egress, &slot.stats.ingress}) {
      EXPECT_EQ(line->key[0], v6 ? 0 : words[0]) << "v6=" << v6;
      EXPECT_EQ(line->key[1], v6 ? 0 : words[1]) << "v6=" << v6;
    }
    EXPECT_EQ(slot.stats.egress.packets, 2u);
    EXPECT_EQ(tcpulse_flow_payload_bytes(&slot.stats.egress), 300u);
    EXPECT_EQ(slot.stats.first_seen_ns, 5000u);
    EXPECT_EQ(slot.stats.role, TCPULSE_FLOW_ROLE_UNKNOWN);
    auto got = tables_.get(k);
    ASSERT_TRUE(got && got.value());
    EXPECT_EQ(got.value()->egress.packets, 2u);
  }
  EXPECT_EQ(overflow_flows(), 0u);
  EXPECT_EQ(dut_->flow_count(), 2u);
}

TEST_F(FlowTable, CollisionGoesToTheOverflowAndLeavesTheOccupantAlone) {
  FlowKey k = v4(40000), other = colliding_with(k);
  dut_->run(TCPULSE_DIR_EGRESS, data(other, 10));
  for (int i = 0; i < 3; i++) dut_->run(TCPULSE_DIR_EGRESS, data(k, 100));

  const tcpulse_flow_slot& slot = tables_.slots.slot_of(k);
  EXPECT_EQ(slot.tag, tcpulse_flow_tag(flow_hash(other), false));
  EXPECT_EQ(slot.stats.egress.packets, 1u);
  EXPECT_EQ(tcpulse_flow_payload_bytes(&slot.stats.egress), 10u);
  auto in_overflow = tables_.v4.get(to_flow4_key(k));
  ASSERT_TRUE(in_overflow && in_overflow.value());
  EXPECT_EQ(in_overflow.value()->egress.packets, 3u);
  EXPECT_EQ(tcpulse_flow_payload_bytes(&in_overflow.value()->egress), 300u);
  EXPECT_EQ(dut_->flow_count(), 2u);
}

// A flow never moves: one the overflow hash took stays there when its slot frees, so its connection state
// is not split between two entries.
TEST_F(FlowTable, AFlowInTheOverflowStaysThereWhenItsSlotFrees) {
  FlowKey k = v4(40000), other = colliding_with(k);
  dut_->run(TCPULSE_DIR_EGRESS, data(other));
  dut_->run(TCPULSE_DIR_EGRESS, data(k));
  auto erased = tables_.erase(other, 1'000);
  ASSERT_TRUE(erased && erased.value());
  EXPECT_EQ(tables_.free_retired(1'000 + TCPULSE_SLOT_GRACE_NS), 1);
  EXPECT_EQ(tables_.slots.slot_of(k).tag, TCPULSE_SLOT_FREE);

  dut_->run(TCPULSE_DIR_EGRESS, data(k));
  EXPECT_EQ(tables_.slots.slot_of(k).tag, TCPULSE_SLOT_FREE);
  auto in_overflow = tables_.v4.get(to_flow4_key(k));
  ASSERT_TRUE(in_overflow && in_overflow.value());
  EXPECT_EQ(in_overflow.value()->egress.packets, 2u);
  EXPECT_EQ(dut_->flow_count(), 1u);
}

TEST_F(FlowTable, RetiredSlotIsFreedOnlyAfterTheGracePeriod) {
  FlowKey k = v4(40000);
  dut_->run(TCPULSE_DIR_EGRESS, data(k));
  const uint64_t retired_at = 7'000'000'000ULL;
  auto erased = tables_.erase(k, retired_at);
  ASSERT_TRUE(erased && erased.value());
  const tcpulse_flow_slot& slot = tables_.slots.slot_of(k);
  EXPECT_EQ(slot.tag, TCPULSE_SLOT_RETIRED);
  EXPECT_EQ(dut_->flow_count(), 0u);

  // A packet of the retired flow neither writes the slot nor claims it.
  dut_->run(TCPULSE_DIR_EGRESS, data(k, 50));
  EXPECT_EQ(slot.tag, TCPULSE_SLOT_RETIRED);
  EXPECT_EQ(slot.stats.egress.packets, 1u);
  auto in_overflow = tables_.v4.get(to_flow4_key(k));
  ASSERT_TRUE(in_overflow && in_overflow.value());
  EXPECT_EQ(tcpulse_flow_payload_bytes(&in_overflow.value()->egress), 50u);

  EXPECT_EQ(tables_.free_retired(retired_at + TCPULSE_SLOT_GRACE_NS - 1), 0);
  EXPECT_EQ(slot.tag, TCPULSE_SLOT_RETIRED);
  EXPECT_EQ(tables_.free_retired(retired_at + TCPULSE_SLOT_GRACE_NS), 1);
  EXPECT_EQ(slot.tag, TCPULSE_SLOT_FREE);
  const tcpulse_flow_slot zero{};
  EXPECT_EQ(0, memcmp(&slot, &zero, sizeof(slot)));

  // Freed, it takes the next flow that hashes to it.
  FlowKey next = colliding_with(k);
  dut_->run(TCPULSE_DIR_EGRESS, data(next));
  EXPECT_EQ(slot.tag, tcpulse_flow_tag(flow_hash(next), false));
  EXPECT_EQ(slot.stats.egress.packets, 1u);
}

TEST_F(FlowTable, RetirementWithoutATimeIsTimedFromTheNextSweep) {
  FlowKey k = v4(40000);
  dut_->run(TCPULSE_DIR_EGRESS, data(k));
  tcpulse_flow_slot& slot = tables_.slots.slot_of(k);
  ASSERT_TRUE(tables_.erase(k, 1'000).value());
  slot.retired_ns = 0;  // an agent that stopped between the two stores
  EXPECT_EQ(tables_.free_retired(50'000'000'000ULL), 0);
  EXPECT_EQ(slot.retired_ns, 50'000'000'000ULL);
  EXPECT_EQ(tables_.free_retired(50'000'000'000ULL + TCPULSE_SLOT_GRACE_NS), 1);
}

// A packet that finds its flow's tag on a slot whose key is still zero (the claiming packet is
// writing it) counts there; the same tag over another key (a 64-bit collision) sends it to the overflow hash.
TEST_F(FlowTable, TagWithAKeyBeingWrittenIsTrustedAndAnotherKeyIsNot) {
  FlowKey k = v4(40000), other = v4(40001);
  tcpulse_flow_slot& slot = tables_.slots.slot_of(k);
  slot.tag = tcpulse_flow_tag(flow_hash(k), false);
  dut_->run(TCPULSE_DIR_EGRESS, data(k, 70));
  EXPECT_EQ(tcpulse_flow_payload_bytes(&slot.stats.egress), 70u);
  EXPECT_EQ(overflow_flows(), 0u);

  FlowKeyWords words = to_key_words(other);
  memcpy(slot.key, words.data(), sizeof(slot.key));
  dut_->run(TCPULSE_DIR_EGRESS, data(k, 30));
  EXPECT_EQ(tcpulse_flow_payload_bytes(&slot.stats.egress), 70u);
  auto in_overflow = tables_.v4.get(to_flow4_key(k));
  ASSERT_TRUE(in_overflow && in_overflow.value());
  EXPECT_EQ(tcpulse_flow_payload_bytes(&in_overflow.value()->egress), 30u);
}

// A full overflow hash never drops a flow to make room (a flow's counts are its pod's TCP
// traffic, which must never shrink): the new flow's packet counts in its pod's slot instead,
// with the failed insert counted.
TEST_F(FlowTable, AFullOverflowKeepsItsFlowsAndANewFlowCountsInItsPodSlot) {
  FlowKey k = v4(40000), other = colliding_with(k);
  dut_->run(TCPULSE_DIR_EGRESS, data(k, 100));  // takes the slot other hashes to
  size_t filled = fill_overflow();
  ASSERT_FALSE(HasFailure());

  dut_->run(TCPULSE_DIR_EGRESS, data(other, 50));
  EXPECT_EQ(dut_->errors(TCPULSE_ERR_FLOW_INSERT), 1u);
  EXPECT_EQ(overflow_flows(), filled) << "a flow was dropped to make room";
  auto slot = owned_slot_traffic(dut_->slot_copies(), kTestIfindex);
  EXPECT_EQ(slot[TCPULSE_DIR_EGRESS].packets, 1u);
  EXPECT_EQ(slot[TCPULSE_DIR_EGRESS].bytes, 40u + 50);
  auto pod = dut_->pod();
  EXPECT_EQ(pod.dir[TCPULSE_DIR_EGRESS].packets, 2u);
  EXPECT_EQ(pod.dir[TCPULSE_DIR_EGRESS].bytes, (40u + 100) + (40u + 50));
}

// The defect: with the flow table full, connections it could not hold were missing from
// connections_opened_total and the handshake histograms (767 of 4,500 counted).
TEST_F(FlowTable, ConnectionsWithoutRoomAreStillCountedAndTimed) {
  constexpr uint8_t SYN = 0x02, ACK = 0x10;
  constexpr uint64_t US = 1000;
  FlowKey k = v4(40000);
  dut_->run(TCPULSE_DIR_EGRESS, data(k, 100));  // takes the slot the others hash to
  fill_overflow();
  ASSERT_FALSE(HasFailure());
  auto keys = all_colliding_with(k, 21);
  ASSERT_EQ(keys.size(), 21u);
  uint64_t t = 1'000'000;

  // 20 connections the pod opens: SYN out, SYN/ACK in 200 us later (one retried each way).
  for (size_t i = 0; i < 20; i++) {
    dut_->set_time(t);
    dut_->run(TCPULSE_DIR_EGRESS, segment(keys[i], TCPULSE_DIR_EGRESS, SYN));
    if (i == 0) dut_->run(TCPULSE_DIR_EGRESS, segment(keys[i], TCPULSE_DIR_EGRESS, SYN));
    dut_->set_time(t += 200 * US);
    dut_->run(TCPULSE_DIR_INGRESS, segment(keys[i], TCPULSE_DIR_INGRESS, SYN | ACK));
    if (i == 0) dut_->run(TCPULSE_DIR_INGRESS, segment(keys[i], TCPULSE_DIR_INGRESS, SYN | ACK));
    dut_->run(TCPULSE_DIR_EGRESS, segment(keys[i], TCPULSE_DIR_EGRESS, ACK));
    t += 1000 * US;
  }
  // One the pod accepts: SYN in, SYN/ACK out (twice), the last ACK in 300 us after the retry.
  const FlowKey& served = keys[20];
  dut_->run(TCPULSE_DIR_INGRESS, segment(served, TCPULSE_DIR_INGRESS, SYN));
  dut_->set_time(t);
  dut_->run(TCPULSE_DIR_EGRESS, segment(served, TCPULSE_DIR_EGRESS, SYN | ACK));
  dut_->set_time(t += 100 * US);
  dut_->run(TCPULSE_DIR_EGRESS, segment(served, TCPULSE_DIR_EGRESS, SYN | ACK));
  dut_->set_time(t += 300 * US);
  dut_->run(TCPULSE_DIR_INGRESS, segment(served, TCPULSE_DIR_INGRESS, ACK));
  dut_->run(TCPULSE_DIR_INGRESS, segment(served, TCPULSE_DIR_INGRESS, ACK));

  EXPECT_GE(dut_->errors(TCPULSE_ERR_FLOW_INSERT), 21u) << "they had no room after all";
  auto pod = dut_->pod();
  EXPECT_EQ(pod.opened[TCPULSE_ROLE_CLIENT], 20u);
  EXPECT_EQ(pod.opened[TCPULSE_ROLE_SERVER], 1u);
  EXPECT_EQ(pod.syn_retries, 2u);  // the client's second SYN, the server's second SYN/ACK
  EXPECT_EQ(pod.handshake_rtt_sum_ns[TCPULSE_ROLE_CLIENT], 20 * 200 * US);
  EXPECT_EQ(pod.handshake_rtt_sum_ns[TCPULSE_ROLE_SERVER], 300 * US);
  uint64_t client_timed = 0, server_timed = 0;
  for (int b = 0; b < TCPULSE_RTT_BUCKETS; b++) {
    client_timed += pod.handshake_rtt_buckets[TCPULSE_ROLE_CLIENT][b];
    server_timed += pod.handshake_rtt_buckets[TCPULSE_ROLE_SERVER][b];
  }
  EXPECT_EQ(client_timed, 20u);
  EXPECT_EQ(server_timed, 1u);
}

// Two CPUs sending on the same flows, from each flow's first packet on: every packet counted
// once, each flow in one entry (the packet that loses the race to claim a slot finds the winner's
// tag there). BPF_PROG_TEST_RUN, unlike tc, runs preemptibly: a claimer can be stopped anywhere.
TEST_F(FlowTable, TwoCpusOnTheSameFlowsCountExactly) {
  if (std::thread::hardware_concurrency() < 2) GTEST_SKIP() << "SKIPPED: needs two CPUs";
  constexpr int kFlows = 40;
  constexpr uint32_t kRepeat = 5000;
  for (int f = 0; f < kFlows; f++) {
    auto frame = data(v4(static_cast<uint16_t>(41000 + f)), 100);
    std::atomic<int> ready{0};
    auto sender = [&](int cpu) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
      ready++;
      while (ready.load() < 2) {
      }
      dut_->run_repeated(TCPULSE_DIR_EGRESS, frame, kRepeat);
    };
    std::thread a(sender, 0), b(sender, 1);
    a.join();
    b.join();
  }
  size_t flows = 0;
  ASSERT_TRUE(tables_.for_each([&](const FlowKey& k, const tcpulse_flow_stats& s) {
    flows++;
    EXPECT_EQ(s.egress.packets, 2 * kRepeat) << ntohs(k.local_port);
    EXPECT_EQ(tcpulse_flow_payload_bytes(&s.egress), 2 * kRepeat * 100ULL);
  }));
  EXPECT_EQ(flows, static_cast<size_t>(kFlows));
}

}  // namespace
}  // namespace tcpulse::test
