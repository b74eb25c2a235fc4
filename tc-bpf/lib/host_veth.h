// Finds the host-side end of a pod's veth: look CNI_IFNAME up inside the pod's network namespace
// (prevResult is only a hint and differs between primary plugins), take its peer ifindex, and
// check that the host interface with that index is a veth whose peer is the pod's interface.
#pragma once

#include <optional>
#include <string>

#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/result.h"

namespace tcpulse {

struct HostVeth {
  std::optional<NetLink> host;  // nullopt: the pod interface is not a veth (macvlan, ipvlan, ...)
  std::string pod_kind;         // the pod interface's link kind
  uint64_t netns_ino = 0;
};

Result<HostVeth> find_host_veth(const std::string& netns, const std::string& ifname);

}  // namespace tcpulse
