// A flow key's forms: the overflow hashes' keys and the flow table's words round-trip, the hash tells the
// families apart through the tag, and --flows-max becomes a power-of-two slot count.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <set>

#include "tc-bpf/lib/datapath_loader.h"
#include "tc-bpf/lib/flow_key.h"

namespace tcpulse {
namespace {

FlowKey key(bool v6, const char* local, uint16_t lport, const char* remote, uint16_t rport) {
  FlowKey k;
  k.ifindex = 7;
  k.family = v6 ? TCPULSE_AF_INET6 : TCPULSE_AF_INET;
  k.local_port = htons(lport);
  k.remote_port = htons(rport);
  inet_pton(v6 ? AF_INET6 : AF_INET, local, k.local_addr);
  inet_pton(v6 ? AF_INET6 : AF_INET, remote, k.remote_addr);
  return k;
}

TEST(FlowKey, WordsRoundTripForBothFamilies) {
  for (bool v6 : {false, true}) {
    FlowKey k = v6 ? key(true, "fd00::5", 40000, "fd00::9", 80)
                   : key(false, "10.1.0.5", 40000, "10.1.0.9", 80);
    FlowKeyWords w = to_key_words(k);
    EXPECT_EQ(from_key_words(w, v6), k);
    if (!v6) {
      EXPECT_EQ(w[2] | w[3] | w[4], 0u) << "an IPv4 key fills two words";
    }
  }
  EXPECT_EQ(to_flow_key(to_flow4_key(key(false, "10.1.0.5", 1, "10.1.0.9", 2))),
            key(false, "10.1.0.5", 1, "10.1.0.9", 2));
}

TEST(FlowKey, HashSpreadsPortsAcrossSlotsAndTagsNameTheFamily) {
  // One client, many ephemeral ports: the common case must not pile into a few slots.
  std::set<uint64_t> slots;
  for (uint16_t port = 30000; port < 31000; port++)
    slots.insert(flow_hash(key(false, "10.1.0.5", 80, "10.1.0.9", port)) & 65535);
  EXPECT_GT(slots.size(), 980u);  // a random function leaves ~992 (birthday collisions)
  uint64_t h = flow_hash(key(true, "fd00::5", 1, "fd00::9", 2));
  EXPECT_NE(tcpulse_flow_tag(h, 0), tcpulse_flow_tag(h, 1));
  for (int v6 : {0, 1}) {
    EXPECT_TRUE(tcpulse_slot_claimed(tcpulse_flow_tag(h, v6)));
    EXPECT_NE(tcpulse_flow_tag(h, v6), TCPULSE_SLOT_RETIRED);
  }
}

TEST(FlowKey, FlowsMaxRoundsUpToAPowerOfTwo) {
  EXPECT_EQ(flow_table_slots(1024), 1024u);
  EXPECT_EQ(flow_table_slots(1000), 1024u);
  EXPECT_EQ(flow_table_slots(65536), 65536u);
  EXPECT_EQ(flow_table_slots(65537), 131072u);
  EXPECT_EQ(flow_table_slots(4194304), 4194304u);
}

}  // namespace
}  // namespace tcpulse
