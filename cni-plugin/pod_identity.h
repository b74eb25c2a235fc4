// Builds the PodRecord for a CNI call: Kubernetes identity from CNI_ARGS, IPs from prevResult.
#pragma once

#include <nlohmann/json.hpp>

#include "cni-plugin/cni_request.h"
#include "tc-bpf/lib/pod_record.h"

namespace tcpulse::cni {

PodRecord pod_identity(const CniRequest& req, uint64_t netns_ino);

// The addresses (without prefix length) of prevResult.ips that belong to the pod's interfaces
// (an "interface" index naming an entry with a sandbox), or have no interface index at all.
std::vector<std::string> pod_ips(const nlohmann::ordered_json& prev_result);

}  // namespace tcpulse::cni
