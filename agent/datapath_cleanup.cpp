#include "agent/datapath_cleanup.h"

#include <vector>

#include "agent/datapath_maps.h"
#include "tc-bpf/lib/pod_attachment.h"

namespace tcpulse {

Result<void> remove_datapath(const PinLayout& layout) {
  if (auto maps = DatapathMaps::open(layout)) {
    std::vector<PodRecord> pods;
    auto walked = maps->pods.for_each(
        [&](const __u32&, const tcpulse_pod_info& info) { pods.push_back(PodRecord::from_abi(info)); });
    if (!walked) return walked.error();
    for (const auto& pod : pods)
      if (auto r = detach_pod(layout, pod.container_id, pod.ifname); !r) return r.error();
  }
  // Whatever is left (links without records, programs, maps) goes with the directory.
  std::error_code ec;
  std::filesystem::remove_all(layout.root(), ec);
  if (ec) return Error(ec.value(), "remove " + layout.root().string());
  // The base dir is ours too; leave it only if another ABI version still lives there.
  std::filesystem::remove(layout.base(), ec);
  return success();
}

}  // namespace tcpulse
