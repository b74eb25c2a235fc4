// UplinkHooks: the programs that watch one uplink for host-network pods (tc-bpf/host_flow.bpf.h),
// held by the agent for as long as it runs: a tcx link on the uplink's egress, and on its receive
// side either an XDP program loaded through libxdp or a tcx link.
//
// XDP never displaces anyone: libxdp's dispatcher lets several programs share the interface where
// the kernel allows it (freplace); where it does not, libxdp loads one program alone, and then
// tcpulse attaches only if the interface has no XDP program. With another program there (Calico's,
// Cilium's, xdp-filter), or a driver without native XDP, the receive side goes on tcx and the
// status says why (tcpulse_uplink_xdp_fallbacks_total). Detaching removes only our programs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "agent/uplink_ingress.h"
#include "tc-bpf/lib/datapath_loader.h"
#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/unique_fd.h"

struct xdp_program;

namespace tcpulse::agent {

struct UplinkStatus {
  std::string interface;
  int ifindex = 0;
  std::string receive_mode;  // "xdp" or "tcx": what the receive side runs
  // Why the receive side runs on tcx when XDP was asked for; "" otherwise.
  std::string xdp_fallback;
  std::string xdp_fallback_reason;  // a label value: "other_program", "driver", "kernel"
  bool xdp_dispatcher = false;      // sharing the interface through libxdp's dispatcher
};

class UplinkHooks {
 public:
  // Attaches the uplink's programs, after removing any of ours a previous agent left there.
  static Result<std::unique_ptr<UplinkHooks>> attach(const LoadedDatapath& datapath,
                                                     const std::string& interface,
                                                     UplinkIngress receive);
  ~UplinkHooks();  // detaches what it attached
  UplinkHooks(const UplinkHooks&) = delete;
  UplinkHooks& operator=(const UplinkHooks&) = delete;

  const UplinkStatus& status() const { return status_; }

 private:
  UplinkHooks() = default;
  UplinkStatus status_;
  UniqueFd egress_link_, ingress_link_;
  std::unique_ptr<UnloadedProgram> xdp_object_;  // the object libxdp loaded our program from
  xdp_program* xdp_ = nullptr;
};

}  // namespace tcpulse::agent
