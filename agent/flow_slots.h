// FlowSlots: the flow table's slot array (tcpulse_flowtab), mapped into this process. Reads flows
// without a syscall each, and retires and frees slots with the single, ordered stores the slot
// protocol needs (see tcpulse_flow_slot in abi.h); bpf_map_update_elem would rewrite a whole slot
// while a packet may be claiming it. Mapped when adopted (the agent's only: the CNI plugin never
// opens the flow table).
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
  // Takes the array behind fd; fails unless it is tcpulse_flowtab's layout with a power-of-two size.
  static Result<FlowSlots> adopt(UniqueFd fd, const std::string& name);
  FlowSlots(FlowSlots&& other) noexcept;
  FlowSlots& operator=(FlowSlots&& other) noexcept;
  ~FlowSlots();

  int fd() const { return fd_.get(); }
  size_t size() const { return count_; }

  // Calls fn for the flow of every claimed slot. Each is a copy taken while packets may update it.
  Result<void> for_each(const std::function<void(const FlowKey&, const tcpulse_flow_stats&)>& fn) const;
  std::optional<tcpulse_flow_stats> get(const FlowKey& key) const;
  // Retires the key's flow from its slot (packets then go to the overflow hash); whether it was there.
  bool retire(const FlowKey& key, uint64_t now_ns);
  // Frees the slots retired at least TCPULSE_SLOT_GRACE_NS before now_ns (CLOCK_MONOTONIC), and
  // notes the retirement time of any that lack one. Returns how many it freed.
  int free_retired(uint64_t now_ns);

  // For tests that stage and inspect slot states; both throw if the array cannot be mapped.
  tcpulse_flow_slot& slot_of(const FlowKey& key) const;  // where key's flow would live
  __u64 tag_at(size_t index) const;                      // the tag of slot `index` < size()

 private:
  FlowSlots(UniqueFd fd, size_t count, size_t bytes)
      : fd_(std::move(fd)), count_(count), bytes_(bytes) {}
  // The mapped array (mapped by adopt).
  Result<tcpulse_flow_slot*> slots() const;
  // The slot holding key's flow, or nullptr; *tag is set to the flow's tag either way.
  tcpulse_flow_slot* find(const FlowKey& key, __u64* tag) const;

  UniqueFd fd_;
  mutable tcpulse_flow_slot* slots_ = nullptr;
  size_t count_ = 0;
  size_t bytes_ = 0;
};

}  // namespace tcpulse
