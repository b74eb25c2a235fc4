// UplinkIngress: what watches an uplink's receive side for host-network pods (--uplink-ingress).
#pragma once

#include <optional>
#include <string_view>

namespace tcpulse::agent {

enum class UplinkIngress { Tcx, Xdp };

// "tcx" | "xdp"; nullopt for anything else.
inline std::optional<UplinkIngress> parse_uplink_ingress(std::string_view text) {
  if (text == "tcx") return UplinkIngress::Tcx;
  if (text == "xdp") return UplinkIngress::Xdp;
  return std::nullopt;
}

}  // namespace tcpulse::agent
