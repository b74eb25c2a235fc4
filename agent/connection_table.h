// ConnectionTable: the tracker's connections by ConnectionId, built for a scan of 100,000 flows
// every few seconds. The connections live in one dense vector (iteration is a sequential read)
// and an open-addressing index of 8-byte cells (the connection's position and 32 bits of its
// hash) finds them: a lookup reads a cell, usually in cache, and the connection itself. A
// node-based std::unordered_map took 3-4 cache misses a lookup, half of a collection's time
// (docs/performance.md). Erasing moves the last connection into the hole: positions are not
// stable across an erase, references are not stable across an insert.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "agent/connection.h"

namespace tcpulse::agent {

class ConnectionTable {
 public:
  // The connection with this id, inserted (zeroed but for its id) if absent; *inserted says which.
  Connection& find_or_insert(const ConnectionId& id, bool* inserted);
  Connection* find(const ConnectionId& id);
  const Connection* find(const ConnectionId& id) const {
    return const_cast<ConnectionTable*>(this)->find(id);
  }
  void erase(const ConnectionId& id);
  // Erases every connection pred(c) holds for, calling it once per connection.
  template <typename Pred>
  void erase_if(Pred&& pred) {
    for (size_t i = 0; i < entries_.size();) {
      if (pred(entries_[i])) erase_at(i);  // the last one moved into i: look at i again
      else i++;
    }
  }

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<Connection>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Connection>::const_iterator end() const { return entries_.end(); }

 private:
  static constexpr uint64_t kEmpty = ~0ULL;
  static uint64_t hash_of(const ConnectionId& id);
  static uint64_t cell(uint32_t index, uint64_t hash) { return (hash << 32) | index; }
  size_t slot_of(const ConnectionId& id, uint64_t hash) const;  // its cell, or the empty one to use
  void erase_at(size_t index);
  void grow();

  std::vector<Connection> entries_;
  std::vector<uint64_t> cells_;  // power of two, at most half full; kEmpty or cell()
};

}  // namespace tcpulse::agent
