// The arithmetic that turns a pod's per-CPU slot copies into its packet and byte totals.
#include "tc-bpf/lib/pod_slots.h"

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

TEST(PodSlots, IndexWrapsAtTheSlotCount) {
  EXPECT_EQ(pod_slot_index(7), 7u);
  EXPECT_EQ(pod_slot_index(7 + TCPULSE_POD_SLOTS), 7u);
}

TEST(PodSlots, OnlyTheCopiesAPodOwnsAreItsTraffic) {
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

TEST(PodSlots, ANewOwnerOfAnIfindexCountsFromItsBase) {
  tcpulse_pod_stats totals{};
  totals.dir[TCPULSE_DIR_EGRESS].packets = 2;  // counted in the hash: a CPU whose copy was taken
  SlotTraffic owned{};
  owned[TCPULSE_DIR_EGRESS] = {.packets = 110, .bytes = 11000};
  owned[TCPULSE_DIR_INGRESS] = {.packets = 50, .bytes = 5000};
  // What the former pod with this ifindex left in the copies when the record was written.
  tcpulse_traffic base[TCPULSE_DIR_COUNT] = {{.packets = 100, .bytes = 10000}, {.packets = 50, .bytes = 5000}};
  add_slot_traffic(totals, owned, base);
  EXPECT_EQ(totals.dir[TCPULSE_DIR_EGRESS].packets, 12u);
  EXPECT_EQ(totals.dir[TCPULSE_DIR_EGRESS].bytes, 1000u);
  EXPECT_EQ(totals.dir[TCPULSE_DIR_INGRESS].packets, 0u);
  EXPECT_EQ(totals.dir[TCPULSE_DIR_INGRESS].bytes, 0u);
}

TEST(PodSlots, ABaseAboveTheCopiesNeverWrapsACounter) {
  tcpulse_pod_stats totals{};
  SlotTraffic owned{};
  owned[TCPULSE_DIR_EGRESS] = {.packets = 1, .bytes = 1};
  tcpulse_traffic base[TCPULSE_DIR_COUNT] = {{.packets = 5, .bytes = 5}, {}};
  add_slot_traffic(totals, owned, base);
  EXPECT_EQ(totals.dir[TCPULSE_DIR_EGRESS].packets, 0u);
  EXPECT_EQ(totals.dir[TCPULSE_DIR_EGRESS].bytes, 0u);
}

}  // namespace
}  // namespace tcpulse
