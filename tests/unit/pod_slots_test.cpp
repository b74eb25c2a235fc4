// Where a pod's slot is (its arithmetic is the pod ledger's: pod_ledger_test.cpp).
#include "agent/pod_slots.h"
#include "tc-bpf/lib/pod_ledger.h"

#include <gtest/gtest.h>

namespace tcpulse {
namespace {

TEST(PodSlots, IndexWrapsAtTheSlotCount) {
  EXPECT_EQ(pod_slot_index(7), 7u);
  EXPECT_EQ(pod_slot_index(7 + TCPULSE_POD_SLOTS), 7u);
}

}  // namespace
}  // namespace tcpulse
