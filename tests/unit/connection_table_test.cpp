// The connection table against a std::map holding the same ids, through many random inserts and
// erases (which shift cells back and move entries): every id is found where the map says, and
// none that is not.
#include "agent/connection_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace tcpulse::agent {
namespace {

ConnectionId id_of(uint32_t n) {
  ConnectionId id;
  id.key.ifindex = 1 + n % 7;
  id.key.family = TCPULSE_AF_INET;
  id.key.local_port = static_cast<uint16_t>(n);
  id.key.remote_addr[3] = static_cast<uint8_t>(n >> 16);
  id.first_seen_ns = 1 + n % 3;
  return id;
}

TEST(ConnectionTable, AgreesWithAMapThroughRandomInsertsAndErases) {
  ConnectionTable table;
  std::map<uint32_t, uint64_t> reference;  // n -> the value stored in interval_bytes
  std::mt19937 rng(7);
  for (int step = 0; step < 200'000; step++) {
    uint32_t n = rng() % 5000;
    int op = rng() % 10;
    if (op < 6) {
      bool inserted = false;
      Connection& c = table.find_or_insert(id_of(n), &inserted);
      EXPECT_EQ(inserted, !reference.count(n));
      c.interval_bytes = step;
      reference[n] = step;
    } else if (op < 9) {
      table.erase(id_of(n));
      reference.erase(n);
    } else {
      // A sweep like end_collection's: erase about a third.
      table.erase_if([&](const Connection& c) {
        bool gone = c.interval_bytes % 3 == 0;
        return gone;
      });
      std::erase_if(reference, [](const auto& e) { return e.second % 3 == 0; });
    }
    ASSERT_EQ(table.size(), reference.size()) << "step " << step;
  }
  for (uint32_t n = 0; n < 5000; n++) {
    Connection* c = table.find(id_of(n));
    auto it = reference.find(n);
    ASSERT_EQ(c != nullptr, it != reference.end()) << n;
    if (c) {
      EXPECT_EQ(c->interval_bytes, it->second);
    }
  }
  size_t iterated = 0;
  for (const Connection& c : table) iterated += c.id.first_seen_ns != 0;
  EXPECT_EQ(iterated, reference.size());
}

}  // namespace
}  // namespace tcpulse::agent
