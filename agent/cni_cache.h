// libcni's result cache (/var/lib/cni/results/<network>-<container id>-<ifname>, "cniCacheV1"),
// which containerd, CRI-O and podman keep for every attachment they ADDed. The agent reads it to
// adopt pods created before tcpulse was installed: it names the container, interface, network and
// CNI_ARGS (so the pod's name), and its result names the pod's network namespace.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/pod_identity.h"

namespace tcpulse {

inline constexpr std::string_view kDefaultCniCacheDir = "/var/lib/cni/results";

struct CachedAttachment {
  CniAttachment attachment;
  std::string netns;  // the sandbox of the interface named ifName in the result
  nlohmann::ordered_json result;
};

// Every readable cniCacheV1 entry with a sandbox; anything else is skipped.
std::vector<CachedAttachment> read_cni_cache(const std::filesystem::path& dir);

}  // namespace tcpulse
