// PodRecord: who a host veth belongs to, as C++ values; converts to and from the ABI struct that
// lives in the pinned tcpulse_pods map (keyed by host veth ifindex).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tcpulse/abi.h"

namespace tcpulse {

struct PodRecord {
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;
  std::string container_id;
  std::string ifname;  // CNI_IFNAME, inside the pod
  std::string network;  // CNI network name
  uint64_t netns_ino = 0;
  uint64_t added_unix_ns = 0;
  std::vector<std::string> ips;  // textual, IPv4 and IPv6; at most TCPULSE_POD_MAX_IPS kept

  static PodRecord from_abi(const tcpulse_pod_info& info);
  // Strings longer than their ABI field are truncated; IPs that do not parse are skipped.
  tcpulse_pod_info to_abi() const;

  // Whether this record is the attachment (container id + ifname) a CNI call names.
  bool is_attachment(const std::string& cid, const std::string& ifn) const {
    return container_id == cid && ifname == ifn;
  }
};

}  // namespace tcpulse
