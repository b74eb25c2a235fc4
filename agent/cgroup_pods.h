// Pods from the kubelet's cgroup v2 hierarchy. A host-network pod gets no CNI call, so tcpulse
// learns of it from where its processes live: the kubelet puts each pod in a cgroup named after
// its UID and each container in one below it,
//   systemd driver:  kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<UID>.slice/
//                    cri-containerd-<ID>.scope   (UID with '_' for '-'; no QoS level: guaranteed)
//   cgroupfs driver: kubepods/besteffort/pod<UID>/<ID>   (kubepods/pod<UID>/<ID>: guaranteed)
// possibly below another slice (kind nodes: kubelet.slice/kubelet-kubepods.slice/...). A socket's
// cgroup id (bpf_sk_cgroup_id) is the inode number of its container's cgroup directory, so the
// scan maps those ids to pods.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpulse::agent {

struct KubepodsPath {
  std::string pod_uid;       // with '-', lower case
  std::string qos;           // "guaranteed", "burstable" or "besteffort"
  std::string container_id;  // "" for the pod's own cgroup
  std::string runtime;       // the scope's prefix ("cri-containerd", "crio", "docker"), "" under cgroupfs
};

// The pod (and container) a cgroup path names, relative to the cgroup root; nullopt if it is not
// a pod's. CRI-O's conmon scopes ("crio-conmon-<ID>.scope") are runtime helpers, not containers.
std::optional<KubepodsPath> parse_kubepods_path(std::string_view relative);

struct CgroupPod {
  uint64_t cgroup_id = 0;  // the directory's inode number
  KubepodsPath path;
};

// The cgroup v2 hierarchy's mount: /sys/fs/cgroup, or /sys/fs/cgroup/unified on a node in hybrid
// mode; "" if neither is cgroup v2.
std::filesystem::path cgroup2_mount();

// Every pod and container cgroup under root (the cgroup v2 mount), with its id; a directory that
// vanishes during the walk is skipped. Not recursive past a container's cgroup.
std::vector<CgroupPod> scan_kubepods(const std::filesystem::path& root);

}  // namespace tcpulse::agent
