// Who a pod is, from what a CNI runtime tells a plugin: Kubernetes identity from CNI_ARGS
// (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID), IPs from the CNI result. Used by the plugin at
// ADD and by the agent when it adopts pods from libcni's result cache.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/pod_record.h"

namespace tcpulse {

struct CniAttachment {
  std::string container_id;
  std::string ifname;
  std::string network;
  std::map<std::string, std::string> args;  // CNI_ARGS
};

PodRecord pod_identity(const CniAttachment& attachment, uint64_t netns_ino,
                       const nlohmann::ordered_json* result);

// The addresses (without prefix length) of result.ips that belong to the pod's interfaces (an
// "interface" index naming an entry with a sandbox), or have no interface index at all.
std::vector<std::string> pod_ips(const nlohmann::ordered_json& result);

}  // namespace tcpulse
