// TcHook: which side of the host veth a program runs on.
#pragma once

#include <string_view>

#include "tcpulse/abi.h"

namespace tcpulse {

enum class TcHook { Ingress, Egress };

inline constexpr TcHook kTcHooks[] = {TcHook::Ingress, TcHook::Egress};

inline std::string_view hook_name(TcHook hook) {
  return hook == TcHook::Ingress ? "ingress" : "egress";
}

// The host veth's tc ingress sees what the pod sends, so it accounts the pod's egress.
inline int pod_direction(TcHook hook) {
  return hook == TcHook::Ingress ? TCPULSE_DIR_EGRESS : TCPULSE_DIR_INGRESS;
}

}  // namespace tcpulse
