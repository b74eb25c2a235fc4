// PodAttachments: attach the pinned datapath to a pod's host veth and record who the pod is;
// detach and forget it; verify it. The steps the CNI plugin runs for ADD / DEL / CHECK, and the
// agent for reconciliation and cleanup. Everything here works on pins the agent created.
#pragma once

#include <optional>
#include <string>

#include "tc-bpf/lib/pod_maps.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/pod_record.h"
#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/tc_attach.h"
#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse {

class PodAttachments {
 public:
  // Opens the pinned programs and maps. ENOENT means the agent has not pinned them yet.
  static Result<PodAttachments> open(const PinLayout& layout);

  // Attaches both programs to host_ifindex and writes the pod record, resetting the per-pod
  // counters of a previous owner of that ifindex. Idempotent for the same attachment. With
  // AttachMode::Xdp what the pod sends goes through the pinned XDP program (native, through
  // libxdp; never in place of another's XDP program) and the other direction on tc.
  Result<AttachMode> attach(int host_ifindex, const PodRecord& record, AttachMode mode);

  // Verifies that the attachment (container id + ifname) is recorded and both programs run on
  // its host veth. Returns the host ifindex.
  Result<int> verify(const std::string& container_id, const std::string& ifname) const;

  // The host ifindex whose record is this attachment, if any.
  Result<std::optional<int>> find(const std::string& container_id, const std::string& ifname) const;

  PodMaps& maps() { return maps_; }

 private:
  PodAttachments(PinLayout layout, PodMaps maps, UniqueFd ingress, UniqueFd egress, UniqueFd xdp)
      : layout_(std::move(layout)), maps_(std::move(maps)), ingress_(std::move(ingress)),
        egress_(std::move(egress)), xdp_(std::move(xdp)) {}

  PinLayout layout_;
  PodMaps maps_;
  UniqueFd ingress_;
  UniqueFd egress_;
  UniqueFd xdp_;  // invalid when the agent pinned none (an older agent)
};

// Renames the attachment's link pins from the names releases up to 0.9 gave them (shared by
// container ids differing only in '.' and '-') to its own, where the link there runs on its
// recorded veth. Returns how many were renamed.
Result<int> adopt_legacy_link_pins(const PinLayout& layout, const PodMap& pods,
                                   const std::string& container_id, const std::string& ifname);

// Detaches an attachment and removes its record and counters. Best effort and idempotent: works
// with the veth or the whole datapath already gone, and never touches another attachment that
// reused the ifindex. Returns whether anything was removed.
Result<bool> detach_pod(const PinLayout& layout, const std::string& container_id,
                        const std::string& ifname);

}  // namespace tcpulse
