#include "agent/uplink_hooks.h"

#include <net/if.h>

#include <cerrno>

#include "tc-bpf/lib/tc_attach.h"
#include "tc-bpf/lib/xdp_attach.h"

namespace tcpulse::agent {

Result<std::unique_ptr<UplinkHooks>> UplinkHooks::attach(const LoadedDatapath& datapath,
                                                         const std::string& interface,
                                                         UplinkIngress receive) {
  std::unique_ptr<UplinkHooks> hooks(new UplinkHooks());
  UplinkStatus& st = hooks->status_;
  st.interface = interface;
  st.ifindex = static_cast<int>(if_nametoindex(interface.c_str()));
  if (!st.ifindex) return Error(ENODEV, "uplink " + interface + ": no such interface");

  auto egress = create_tcx_link(datapath.prog_fd(LoadedDatapath::Program::HostEgress), st.ifindex,
                                TcHook::Egress);
  if (!egress) return Error(egress.error().code(), "uplink " + interface + " egress: " + egress.error().what());
  if (!egress.value()) return Error(EOPNOTSUPP, "uplink " + interface + ": this kernel has no tcx (needs 6.6)");
  hooks->egress_link_ = std::move(*egress.value());

  if (receive == UplinkIngress::Xdp) {
    detach_our_xdp_programs(st.ifindex);  // a killed agent's
    auto object = datapath.open_unloaded(LoadedDatapath::Program::HostXdp);
    if (!object)
      return Error(object.error().code(), "uplink " + interface + " XDP program: " + object.error().what());
    auto xdp = attach_xdp_from_object(object.value()->object(), object.value()->program_name(), st.ifindex);
    if (xdp) {
      hooks->xdp_ = xdp.value();
      hooks->xdp_object_ = std::move(object).value();
      st.receive_mode = "xdp";
      st.xdp_dispatcher = xdp_dispatcher_attached(st.ifindex);
      return hooks;
    }
    int code = xdp.error().code();
    st.xdp_fallback = xdp.error().what();
    st.xdp_fallback_reason = code == EEXIST || code == EBUSY ? "other_program"
                             : code == EOPNOTSUPP            ? "driver"
                                                             : "kernel";
  }
  auto ingress = create_tcx_link(datapath.prog_fd(LoadedDatapath::Program::HostIngress),
                                 st.ifindex, TcHook::Ingress);
  if (!ingress) return Error(ingress.error().code(), "uplink " + interface + " ingress: " + ingress.error().what());
  if (!ingress.value()) return Error(EOPNOTSUPP, "uplink " + interface + ": this kernel has no tcx (needs 6.6)");
  hooks->ingress_link_ = std::move(*ingress.value());
  st.receive_mode = "tcx";
  return hooks;
}

UplinkHooks::~UplinkHooks() { detach_xdp(xdp_, status_.ifindex); }

}  // namespace tcpulse::agent
