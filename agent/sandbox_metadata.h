// The pod a container belongs to, from what its container runtime keeps on disk: the OCI bundle's
// config.json, whose annotations the CRI runtimes fill with the pod's identity.
//   containerd:  <state dir>/<id>/config.json            (/run/containerd/io.containerd.runtime.v2.task/k8s.io)
//                io.kubernetes.cri.sandbox-{namespace,name,uid,id}
//   CRI-O:       <state dir>/<id>/userdata/config.json   (/run/containers/storage/overlay-containers)
//                io.kubernetes.pod.{namespace,name,uid}, io.kubernetes.cri-o.SandboxID
// A host-network pod gets no CNI call, so this is where its name comes from.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tcpulse::agent {

inline const std::vector<std::filesystem::path> kDefaultRuntimeStateDirs = {
    "/run/containerd/io.containerd.runtime.v2.task/k8s.io",
    "/run/containers/storage/overlay-containers",
};

struct SandboxIdentity {
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;     // with '-', lower case
  std::string sandbox_id;  // the pod sandbox's container id, "" if the bundle does not say
};

// The identity a container's bundle names, looked for under each state dir in turn; nullopt if
// none has a bundle for it with the pod's namespace, name and uid. Bundles are bounded (1 MiB) and
// their names cut to valid UTF-8; a container id with '/' or ".." is never looked up.
std::optional<SandboxIdentity> read_sandbox_identity(
    const std::vector<std::filesystem::path>& state_dirs, const std::string& container_id);

}  // namespace tcpulse::agent
