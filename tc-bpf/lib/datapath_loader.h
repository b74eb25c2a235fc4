// DatapathLoader: loads the embedded datapath skeleton, reusing pinned maps, and pins its programs.
// Only the agent loads; the CNI plugin only opens what the agent pinned (DESIGN.md decision 2).
#pragma once

#include <cstdint>
#include <memory>

#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/tc_hook.h"
#include "tcpulse/abi.h"

struct tcpulse_bpf;

namespace tcpulse {

// The flow table's slot count for a --flows-max: the next power of two.
uint32_t flow_table_slots(uint32_t flows_max);

class LoadedDatapath {
 public:
  struct Options {
    // The flow table's slots (rounded up to a power of two); each family's overflow hash, which takes the
    // flows whose slot is taken, holds half as many.
    uint32_t flows_max = TCPULSE_FLOWS_MAX_DEFAULT;
    // The datapath's tunables (tcpulse_datapath_config in abi.h).
    tcpulse_datapath_config config = {TCPULSE_RTT_SAMPLE_INTERVAL_NS_DEFAULT,
                                      TCPULSE_RTT_SAMPLE_EXPIRY_NS_DEFAULT,
                                      TCPULSE_REORDER_WINDOW_NS_DEFAULT};
  };

  // Loads the programs. Maps already pinned under layout are reused (counters continue), missing
  // ones are created and pinned; then the programs are pinned, atomically replacing older ones.
  // A flow table pinned at another size than options.flows_max asks for keeps its size (its live
  // flows with it): flow_slots() then differs from requested_slots(), for the agent to say so.
  static Result<std::unique_ptr<LoadedDatapath>> load_and_pin(const PinLayout& layout,
                                                              const Options& options);
  ~LoadedDatapath();
  LoadedDatapath(const LoadedDatapath&) = delete;
  LoadedDatapath& operator=(const LoadedDatapath&) = delete;

  int prog_fd(TcHook hook) const;
  uint32_t prog_id(TcHook hook) const;
  uint32_t flow_slots() const { return flow_slots_; }
  uint32_t requested_slots() const { return requested_slots_; }

 private:
  explicit LoadedDatapath(tcpulse_bpf* skel) : skel_(skel) {}
  tcpulse_bpf* skel_;
  uint32_t flow_slots_ = 0, requested_slots_ = 0;
};

}  // namespace tcpulse
