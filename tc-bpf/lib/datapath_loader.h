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
struct bpf_object;

namespace tcpulse {

// A copy of the datapath object, opened and configured like the loaded one (its maps are the
// pinned ones, its tunables the same) but not loaded, with only one program left to load: for
// libxdp, which loads an XDP program itself, as an extension of its dispatcher where the kernel
// allows one.
class UnloadedProgram {
 public:
  ~UnloadedProgram();
  UnloadedProgram(const UnloadedProgram&) = delete;
  UnloadedProgram& operator=(const UnloadedProgram&) = delete;
  bpf_object* object() const;
  const char* program_name() const { return name_; }

 private:
  friend class LoadedDatapath;
  explicit UnloadedProgram(tcpulse_bpf* skel) : skel_(skel) {}
  tcpulse_bpf* skel_;
  const char* name_ = nullptr;
};

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

  // A pod veth's tc programs.
  int prog_fd(TcHook hook) const;
  uint32_t prog_id(TcHook hook) const;
  // The others: an XDP program for what a pod sends (attachMode xdp; pinned at
  // PinLayout::xdp_prog() for the plugin), and the uplink's for host-network pods.
  enum class Program { PodXdp, HostEgress, HostIngress, HostXdp };
  int prog_fd(Program program) const;
  Result<std::unique_ptr<UnloadedProgram>> open_unloaded(Program program) const;
  uint32_t flow_slots() const { return flow_slots_; }
  uint32_t requested_slots() const { return requested_slots_; }

 private:
  LoadedDatapath(tcpulse_bpf* skel, PinLayout layout, Options options)
      : skel_(skel), layout_(std::move(layout)), options_(options) {}
  tcpulse_bpf* skel_;
  PinLayout layout_;
  Options options_;
  uint32_t flow_slots_ = 0, requested_slots_ = 0;
};

}  // namespace tcpulse
