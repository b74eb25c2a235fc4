#include "tc-bpf/lib/host_veth.h"

namespace tcpulse {

Result<HostVeth> find_host_veth(const std::string& netns, const std::string& ifname) {
  HostVeth out;
  NetLink pod_side;
  auto r = run_in_netns(
      netns,
      [&]() -> Result<void> {
        auto link = find_link(ifname);
        if (!link) return link.error();
        pod_side = link.value();
        return success();
      },
      &out.netns_ino);
  if (!r) return r.error();
  out.pod_kind = pod_side.kind;
  if (pod_side.kind != "veth") return out;
  if (pod_side.peer_ifindex <= 0)
    return Error(ENODEV, ifname + " in " + netns + " is a veth without a peer");

  auto host = find_link(pod_side.peer_ifindex);
  if (!host)
    return Error(host.error().code(), "host side of " + ifname + " (ifindex " +
                                          std::to_string(pod_side.peer_ifindex) + ") not found");
  // Guards against the peer living in a third namespace while the host has an unrelated
  // interface with the same index.
  if (host->kind != "veth" || host->peer_ifindex != pod_side.ifindex)
    return Error(ENODEV, "host ifindex " + std::to_string(pod_side.peer_ifindex) + " (" +
                             host->name + ") is not the peer of " + ifname);
  out.host = host.value();
  return out;
}

}  // namespace tcpulse
