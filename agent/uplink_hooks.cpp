#include "agent/uplink_hooks.h"

#include <net/if.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstring>

#include "tc-bpf/lib/tc_attach.h"

namespace tcpulse::agent {

namespace {

bool ours(const xdp_program* prog) {
  const char* name = prog ? xdp_program__name(prog) : nullptr;
  return name && std::string_view(name).starts_with("tcpulse_");
}

std::string describe(const xdp_program* prog) {
  const char* name = xdp_program__name(prog);
  return "id " + std::to_string(xdp_program__id(prog)) + ", \"" + (name ? name : "") + "\"";
}

// The interface's XDP programs as libxdp sees them; nullptr when there are none.
xdp_multiprog* xdp_programs(int ifindex) {
  xdp_multiprog* mp = xdp_multiprog__get_from_ifindex(ifindex);
  return libxdp_get_error(mp) ? nullptr : mp;
}

std::string libxdp_message(int err) {
  char buf[256] = {};
  libxdp_strerror(err, buf, sizeof(buf));
  return buf;
}

}  // namespace

std::optional<UplinkIngress> parse_uplink_ingress(std::string_view text) {
  if (text == "xdp") return UplinkIngress::Xdp;
  if (text == "tcx") return UplinkIngress::Tcx;
  return std::nullopt;
}

std::string_view uplink_ingress_name(UplinkIngress mode) {
  return mode == UplinkIngress::Xdp ? "xdp" : "tcx";
}

int detach_our_xdp_programs(int ifindex) {
  xdp_multiprog* mp = xdp_programs(ifindex);
  if (!mp) return 0;
  int removed = 0;
  enum xdp_attach_mode mode = xdp_multiprog__attach_mode(mp);
  if (xdp_multiprog__is_legacy(mp)) {
    if (ours(xdp_multiprog__main_prog(mp)) && xdp_multiprog__detach(mp) == 0) removed++;
  } else {
    for (xdp_program* p = xdp_multiprog__next_prog(nullptr, mp); p;
         p = xdp_multiprog__next_prog(p, mp))
      if (ours(p) && xdp_program__detach(p, ifindex, mode, 0) == 0) removed++;
  }
  xdp_multiprog__close(mp);
  return removed;
}

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
    if (xdp_multiprog* mp = xdp_programs(st.ifindex)) {
      if (xdp_multiprog__is_legacy(mp)) {
        // One program holds the interface without libxdp's dispatcher: attaching would replace it.
        st.xdp_fallback = "another XDP program (" + describe(xdp_multiprog__main_prog(mp)) +
                          ") is attached without libxdp's dispatcher; it stays";
        st.xdp_fallback_reason = "other_program";
      }
      xdp_multiprog__close(mp);
    }
    if (st.xdp_fallback.empty()) {
      auto object = datapath.open_unloaded(LoadedDatapath::Program::HostXdp);
      if (!object)
        return Error(object.error().code(), "uplink " + interface + " XDP program: " + object.error().what());
      DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = object.value()->object(),
                          .prog_name = object.value()->program_name());
      xdp_program* prog = xdp_program__create(&opts);
      if (long err = libxdp_get_error(prog); err) {
        st.xdp_fallback = "libxdp could not open the program: " + libxdp_message(static_cast<int>(err));
        st.xdp_fallback_reason = "kernel";
      } else if (int err = xdp_program__attach(prog, st.ifindex, XDP_MODE_NATIVE, 0); err) {
        xdp_program__close(prog);
        st.xdp_fallback = "libxdp could not attach in native mode: " + libxdp_message(err);
        st.xdp_fallback_reason = err == -EOPNOTSUPP ? "driver" : err == -EEXIST || err == -EBUSY
                                                                     ? "other_program"
                                                                     : "kernel";
      } else {
        hooks->xdp_ = prog;
        hooks->xdp_mode_ = XDP_MODE_NATIVE;
        hooks->xdp_object_ = std::move(object).value();
        st.receive_mode = "xdp";
        if (xdp_multiprog* mp = xdp_programs(st.ifindex)) {
          st.xdp_dispatcher = !xdp_multiprog__is_legacy(mp);
          xdp_multiprog__close(mp);
        }
        return hooks;
      }
    }
  }
  auto ingress = create_tcx_link(datapath.prog_fd(LoadedDatapath::Program::HostIngress),
                                 st.ifindex, TcHook::Ingress);
  if (!ingress) return Error(ingress.error().code(), "uplink " + interface + " ingress: " + ingress.error().what());
  if (!ingress.value()) return Error(EOPNOTSUPP, "uplink " + interface + ": this kernel has no tcx (needs 6.6)");
  hooks->ingress_link_ = std::move(*ingress.value());
  st.receive_mode = "tcx";
  return hooks;
}

UplinkHooks::~UplinkHooks() {
  if (xdp_) {
    xdp_program__detach(xdp_, status_.ifindex, static_cast<enum xdp_attach_mode>(xdp_mode_), 0);
    xdp_program__close(xdp_);
  }
}

}  // namespace tcpulse::agent
