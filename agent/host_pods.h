// HostPods: the node's host-network pods, kept in the datapath's maps for the uplink programs.
// The kubelet calls no CNI plugin for a hostNetwork pod, so the agent finds pods in the kubelet's
// cgroups (cgroup_pods.h); any pod there that no CNI record names (by its UID) may be one. Each
// gets a key above TCPULSE_HOST_FLOWS, a record (TCPULSE_POD_F_HOST_NETWORK, named from its
// runtime's metadata where readable, else by UID), an account, and its cgroups in
// tcpulse_cgroups, so that its sockets' flows on the uplinks count under it. A pod whose sockets
// live in their own network namespace never shows on the uplink (its traffic is forwarded), and a
// host-network candidate is shown only once it has traffic there (NodeSnapshot): so a pod whose
// CNI ADD is still under way is never listed as a host-network one.
//
// A pod whose cgroup is gone, or that a CNI record now names, loses its record, account and
// cgroups; its flows then expire as a vanished pod's (reconciler.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "agent/datapath_maps.h"
#include "tc-bpf/lib/result.h"

namespace tcpulse::agent {

struct HostPodsOptions {
  std::filesystem::path cgroup_root;                       // the cgroup v2 mount
  std::vector<std::filesystem::path> runtime_state_dirs;  // sandbox_metadata.h
};

struct HostPodsReport {
  int added = 0;     // pods given a key and record
  int renamed = 0;   // records whose name the runtime's metadata gave since
  int removed = 0;   // pods gone, or CNI-attached after all
  size_t pods = 0, cgroups = 0;  // in the maps after the pass
};

class HostPods {
 public:
  HostPods(DatapathMaps& maps, HostPodsOptions options);
  // One pass over the cgroup hierarchy and the maps. A failed map walk aborts the pass before it
  // writes anything.
  Result<HostPodsReport> refresh();

 private:
  uint32_t next_key();

  DatapathMaps& maps_;
  HostPodsOptions options_;
  uint32_t last_key_ = TCPULSE_HOST_FLOWS;
};

}  // namespace tcpulse::agent
