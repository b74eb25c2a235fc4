// PodRecord: who a host veth belongs to, as C++ values; converts to and from the ABI struct that
// lives in the pinned tcpulse_pods map (keyed by host veth ifindex).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
  // A host-network pod the agent found by its cgroups (TCPULSE_POD_F_HOST_NETWORK): no veth, no
  // CNI call; container_id is its sandbox's, ifname and network are empty.
  bool host_network = false;

  // Names come back as valid UTF-8 (whatever an older writer left); the container id and ifname
  // byte for byte, since DEL and CHECK find an attachment by them.
  static PodRecord from_abi(const tcpulse_pod_info& info);
  // Strings longer than their ABI field are cut on a character boundary; IPs that do not parse
  // are skipped.
  tcpulse_pod_info to_abi() const;

  // The record's one JSON form, for the pending queue and the agent's /pods: keys namespace,
  // pod, pod_uid, container_id, interface, network, netns_ino, added_unix_ns, ips.
  nlohmann::json to_json() const;
  // nullopt unless every key is there with its type ("ifname" is read for "interface": files
  // that releases up to 0.9 queued).
  static std::optional<PodRecord> from_json(const nlohmann::json& doc);

  // Why an attachment cannot be recorded exactly, if it cannot: its container id is not one the
  // CNI spec allows ([A-Za-z0-9][A-Za-z0-9_.-]*) or does not fit the ABI field, or its ifname is
  // not UTF-8. Such a pod is passed through unmonitored rather than recorded under a name that
  // another pod's DEL could match.
  static std::optional<std::string> unrecordable(const std::string& container_id,
                                                 const std::string& ifname);

  // Whether the record belongs to the CNI network of that name (as cut to fit the record).
  bool in_network(const std::string& name) const;

  // Whether this record is the attachment (container id + ifname) a CNI call names.
  bool is_attachment(const std::string& cid, const std::string& ifn) const {
    return container_id == cid && ifname == ifn;
  }
};

}  // namespace tcpulse
