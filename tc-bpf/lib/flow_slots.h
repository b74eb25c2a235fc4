// FlowSlots: the flow table's slot array (tcpulse_flowtab), mapped into this process. Reads flows
// without a syscall each, and retires and frees slots with the single, ordered stores the slot
// protocol needs (see tcpulse_flow_slot in abi.h); bpf_map_update_elem would rewrite a whole slot
// while a packet may be claiming it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "tc-bpf/lib/flow_key.h"
#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/unique_fd.h"
#include "tcpulse/abi.h"

namespace tcpulse {

class FlowSlots {
 public:
  FlowSlots() = default;
  // Maps the array behind fd; fails unless it is tcpulse_flowtab's layout with a power-of-two size.
  static Result<FlowSlots> adopt(UniqueFd fd, const std::string& name);
  FlowSlots(FlowSlots&& other) noexcept;
  FlowSlots& operator=(FlowSlots&& other) noexcept;
  ~FlowSlots();

  int fd() const { return fd_.get(); }
  size_t size() const { return count_; }

  // Calls fn for the flow of every claimed slot. Each is a copy taken while packets may update it.
  void for_each(const std::function<void(const FlowKey&, const tcpulse_flow_stats&)>& fn) const;
  std::optional<tcpulse_flow_stats> get(const FlowKey& key) const;
  // Retires the key's flow from its slot (packets then go to the LRU); whether it was there.
  bool retire(const FlowKey& key, uint64_t now_ns);
  // Frees the slots retired at least TCPULSE_SLOT_GRACE_NS before now_ns (CLOCK_MONOTONIC), and
  // notes the retirement time of any that lack one. Returns how many it freed.
  int free_retired(uint64_t now_ns);

  // The slot that key's flow uses, if it is in the array. For tests that stage slot states.
  tcpulse_flow_slot& slot_of(const FlowKey& key) const;
  __u64 tag_at(size_t index) const;  // the tag of slot `index` < size()

 private:
  FlowSlots(UniqueFd fd, tcpulse_flow_slot* slots, size_t count, size_t bytes)
      : fd_(std::move(fd)), slots_(slots), count_(count), bytes_(bytes) {}
  // The slot holding key's flow, or nullptr.
  tcpulse_flow_slot* find(const FlowKey& key) const;

  UniqueFd fd_;
  tcpulse_flow_slot* slots_ = nullptr;
  size_t count_ = 0;
  size_t bytes_ = 0;
};

}  // namespace tcpulse
