#include "agent/flow_slots.h"

#include <bpf/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <utility>

#include "tc-bpf/lib/typed_map.h"

namespace tcpulse {

namespace {

std::atomic_ref<__u64> tag_of(tcpulse_flow_slot& slot) { return std::atomic_ref<__u64>(slot.tag); }

bool holds(const tcpulse_flow_slot& slot, const FlowKeyWords& words) {
  return memcmp(slot.key, words.data(), sizeof(slot.key)) == 0;
}

}  // namespace

Result<FlowSlots> FlowSlots::adopt(UniqueFd fd, const std::string& name) {
  if (auto r = check_map_layout(fd.get(), sizeof(__u32), sizeof(tcpulse_flow_slot), name); !r)
    return r.error();
  struct bpf_map_info info {};
  __u32 len = sizeof(info);
  if (int ret = bpf_obj_get_info_by_fd(fd.get(), &info, &len); ret < 0)
    return libbpf_error(ret, "get info of map " + name);
  size_t count = info.max_entries;
  if (count == 0 || (count & (count - 1)) != 0)
    return Error(EPROTO, "map " + name + " has " + std::to_string(count) +
                             " slots, not a power of two");
  long page = sysconf(_SC_PAGESIZE);
  size_t bytes = (count * sizeof(tcpulse_flow_slot) + page - 1) / page * page;
  FlowSlots slots(std::move(fd), count, bytes);
  if (auto mapped = slots.slots(); !mapped) return mapped.error();
  return slots;
}

Result<tcpulse_flow_slot*> FlowSlots::slots() const {
  if (slots_) return slots_;
  if (!fd_.valid()) return Error(EBADF, "flow table not open");
  void* mem = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (mem == MAP_FAILED) return Error(errno, "map the flow table into memory");
  slots_ = static_cast<tcpulse_flow_slot*>(mem);
  return slots_;
}

FlowSlots::FlowSlots(FlowSlots&& other) noexcept
    : fd_(std::move(other.fd_)),
      slots_(std::exchange(other.slots_, nullptr)),
      count_(std::exchange(other.count_, 0)),
      bytes_(std::exchange(other.bytes_, 0)) {}

FlowSlots& FlowSlots::operator=(FlowSlots&& other) noexcept {
  if (this != &other) {
    if (slots_) munmap(slots_, bytes_);
    fd_ = std::move(other.fd_);
    slots_ = std::exchange(other.slots_, nullptr);
    count_ = std::exchange(other.count_, 0);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

FlowSlots::~FlowSlots() {
  if (slots_) munmap(slots_, bytes_);
}

Result<void> FlowSlots::for_each(
    const std::function<void(const FlowKey&, const tcpulse_flow_stats&)>& fn) const {
  auto mapped = slots();
  if (!mapped) return mapped.error();
  for (size_t i = 0; i < count_; i++) {
    tcpulse_flow_slot& slot = mapped.value()[i];
    __u64 tag = tag_of(slot).load(std::memory_order_acquire);
    if (!tcpulse_slot_claimed(tag)) continue;
    FlowKeyWords words;
    memcpy(words.data(), slot.key, sizeof(slot.key));
    if (words[0] == 0) continue;  // claimed this instant; its key is still being written
    tcpulse_flow_stats stats = slot.stats;
    fn(from_key_words(words, tag & 2), stats);
  }
  return success();
}

__u64 FlowSlots::tag_at(size_t index) const {
  return tag_of(slots().value()[index]).load(std::memory_order_acquire);
}

tcpulse_flow_slot& FlowSlots::slot_of(const FlowKey& key) const {
  return slots().value()[flow_hash(key) & (count_ - 1)];
}

tcpulse_flow_slot* FlowSlots::find(const FlowKey& key, __u64* tag) const {
  uint64_t hash = flow_hash(key);
  *tag = tcpulse_flow_tag(hash, key.family == TCPULSE_AF_INET6);
  auto mapped = slots();
  if (!mapped) return nullptr;
  tcpulse_flow_slot& slot = mapped.value()[hash & (count_ - 1)];
  if (tag_of(slot).load(std::memory_order_acquire) != *tag || !holds(slot, to_key_words(key)))
    return nullptr;
  return &slot;
}

std::optional<tcpulse_flow_stats> FlowSlots::get(const FlowKey& key) const {
  __u64 tag;
  tcpulse_flow_slot* slot = find(key, &tag);
  if (!slot) return std::nullopt;
  return slot->stats;
}

bool FlowSlots::retire(const FlowKey& key, uint64_t now_ns) {
  __u64 tag;
  tcpulse_flow_slot* slot = find(key, &tag);
  if (!slot) return false;
  if (!tag_of(*slot).compare_exchange_strong(tag, TCPULSE_SLOT_RETIRED)) return false;
  // Packets find an IPv4 flow by the key copies in its lines as well as by the tag.
  for (tcpulse_flow_dir* line : {&slot->stats.egress, &slot->stats.ingress})
    std::atomic_ref<__u64>(line->key[0]).store(0, std::memory_order_release);
  std::atomic_ref<__u64>(slot->retired_ns).store(now_ns, std::memory_order_relaxed);
  return true;
}

int FlowSlots::free_retired(uint64_t now_ns) {
  auto mapped = slots();
  if (!mapped) return 0;
  int freed = 0;
  for (size_t i = 0; i < count_; i++) {
    tcpulse_flow_slot& slot = mapped.value()[i];
    if (tag_of(slot).load(std::memory_order_acquire) != TCPULSE_SLOT_RETIRED) continue;
    std::atomic_ref<__u64> retired(slot.retired_ns);
    uint64_t at = retired.load(std::memory_order_relaxed);
    if (at == 0) {  // retired by an agent that stopped before noting when: count from now
      retired.store(now_ns, std::memory_order_relaxed);
      continue;
    }
    if (now_ns < at || now_ns - at < TCPULSE_SLOT_GRACE_NS) continue;
    // No packet writes a retired slot past the grace period, and none claims it before the tag
    // is FREE: the zeroing is ours alone, and the release store publishes it.
    memset(slot.key, 0, sizeof(slot.key));
    memset(&slot.stats, 0, sizeof(slot.stats));
    retired.store(0, std::memory_order_relaxed);
    tag_of(slot).store(TCPULSE_SLOT_FREE, std::memory_order_release);
    freed++;
  }
  return freed;
}

}  // namespace tcpulse
