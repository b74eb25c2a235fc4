#include "agent/connection_table.h"

namespace tcpulse::agent {

uint64_t ConnectionTable::hash_of(const ConnectionId& id) {
  return flow_hash(id.key) ^ (id.first_seen_ns * 0x9e3779b97f4a7c15ULL);
}

size_t ConnectionTable::slot_of(const ConnectionId& id, uint64_t hash) const {
  size_t mask = cells_.size() - 1;
  uint32_t tag = static_cast<uint32_t>(hash);
  for (size_t i = tag & mask;; i = (i + 1) & mask) {
    uint64_t c = cells_[i];
    if (c == kEmpty) return i;
    if (static_cast<uint32_t>(c >> 32) == tag && entries_[static_cast<uint32_t>(c)].id == id) return i;
  }
}

void ConnectionTable::grow() {
  size_t capacity = cells_.empty() ? 1024 : cells_.size() * 2;
  cells_.assign(capacity, kEmpty);
  for (uint32_t i = 0; i < entries_.size(); i++) {
    uint64_t hash = hash_of(entries_[i].id);
    cells_[slot_of(entries_[i].id, hash)] = cell(i, hash);
  }
}

Connection& ConnectionTable::find_or_insert(const ConnectionId& id, bool* inserted) {
  if ((entries_.size() + 1) * 2 > cells_.size()) grow();
  uint64_t hash = hash_of(id);
  size_t slot = slot_of(id, hash);
  if (cells_[slot] != kEmpty) {
    *inserted = false;
    return entries_[static_cast<uint32_t>(cells_[slot])];
  }
  *inserted = true;
  cells_[slot] = cell(static_cast<uint32_t>(entries_.size()), hash);
  Connection& c = entries_.emplace_back();
  c.id = id;
  return c;
}

Connection* ConnectionTable::find(const ConnectionId& id) {
  if (cells_.empty()) return nullptr;
  size_t slot = slot_of(id, hash_of(id));
  return cells_[slot] == kEmpty ? nullptr : &entries_[static_cast<uint32_t>(cells_[slot])];
}

void ConnectionTable::erase(const ConnectionId& id) {
  if (cells_.empty()) return;
  size_t slot = slot_of(id, hash_of(id));
  if (cells_[slot] != kEmpty) erase_at(static_cast<uint32_t>(cells_[slot]));
}

void ConnectionTable::erase_at(size_t index) {
  size_t mask = cells_.size() - 1;
  // The cell: emptied, and the cells after it in its run shifted back where their probe allows
  // (no tombstones, so lookups stay short however many connections come and go).
  size_t hole = slot_of(entries_[index].id, hash_of(entries_[index].id));
  for (size_t next = (hole + 1) & mask; cells_[next] != kEmpty; next = (next + 1) & mask) {
    size_t home = static_cast<uint32_t>(cells_[next] >> 32) & mask;
    if (((next - home) & mask) >= ((next - hole) & mask)) {
      cells_[hole] = cells_[next];
      hole = next;
    }
  }
  cells_[hole] = kEmpty;
  // The entry: the last one moves into its place, and its cell follows.
  size_t last = entries_.size() - 1;
  if (index != last) {
    uint64_t hash = hash_of(entries_[last].id);
    size_t moved = slot_of(entries_[last].id, hash);
    entries_[index] = std::move(entries_[last]);
    cells_[moved] = cell(static_cast<uint32_t>(index), hash);
  }
  entries_.pop_back();
}

}  // namespace tcpulse::agent
