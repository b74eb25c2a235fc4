// Pods from cgroup paths as the kubelet lays them out (systemd and cgroupfs drivers, every QoS
// class, containerd, CRI-O and docker scopes, a kind node's nesting), and a scan that gives each
// pod and container cgroup the id a socket's bpf_sk_cgroup_id returns: its directory's inode.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "agent/cgroup_pods.h"

namespace tcpulse::agent {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
constexpr const char* kUidSystemd = "0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0";

TEST(CgroupPods, ParsesBothDriversEveryQosAndTheRuntimesScopes) {
  struct Case {
    std::string path, qos, container, runtime;
  };
  std::string s = kUidSystemd, u = kUid;
  for (const auto& c : std::vector<Case>{
           {"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + s + ".slice", "burstable", "", ""},
           {"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + s + ".slice/cri-containerd-abc123.scope",
            "burstable", "abc123", "cri-containerd"},
           {"kubepods.slice/kubepods-pod" + s + ".slice/crio-def456.scope", "guaranteed", "def456", "crio"},
           {"kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + s + ".slice/docker-9f.scope", "besteffort", "9f", "docker"},
           {"kubepods/burstable/pod" + u + "/4c5d", "burstable", "4c5d", ""},
           {"kubepods/pod" + u, "guaranteed", "", ""},
           {"kubepods/besteffort/pod" + u + "/77", "besteffort", "77", ""},
           {"kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" + s +
                ".slice/cri-containerd-e1.scope",
            "besteffort", "e1", "cri-containerd"},
       }) {
    SCOPED_TRACE(c.path);
    auto p = parse_kubepods_path(c.path);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->pod_uid, kUid);
    EXPECT_EQ(p->qos, c.qos);
    EXPECT_EQ(p->container_id, c.container);
    EXPECT_EQ(p->runtime, c.runtime);
  }
  for (const std::string& not_a_pod : std::vector<std::string>{
           "", "system.slice/containerd.service", "kubepods.slice", "kubepods/burstable",
           "user.slice/pod" + u,                                                     // not under kubepods
           "kubepods/burstable/pod" + u.substr(0, 35),                                // a UID too short
           "kubepods/burstable/podzz1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",              // not hex
           "kubepods.slice/kubepods-pod" + s + ".slice/crio-conmon-def456.scope",    // the runtime's helper
           "kubepods/pod" + u + "/abc/threads",                                       // below a container
       })
    EXPECT_FALSE(parse_kubepods_path(not_a_pod)) << not_a_pod;
}

TEST(CgroupPods, AScanGivesEachPodAndContainerItsDirectorysInode) {
  char tmpl[] = "/tmp/tcpulse-cgroups-XXXXXX";
  fs::path root = mkdtemp(tmpl);
  std::string s = kUidSystemd;
  fs::path pod = root / "kubepods.slice/kubepods-burstable.slice" / ("kubepods-burstable-pod" + s + ".slice");
  fs::create_directories(pod / "cri-containerd-aaa.scope/nested");
  fs::create_directories(pod / "cri-containerd-bbb.scope");
  fs::create_directories(root / "system.slice/kubelet.service");
  fs::create_directories(root / "kubepods/besteffort/pod11111111-2222-3333-4444-555555555555/ccc");
  auto inode = [](const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return static_cast<uint64_t>(st.st_ino);
  };
  std::map<std::string, uint64_t> expected = {
      {std::string(kUid) + "/", inode(pod)},
      {std::string(kUid) + "/aaa", inode(pod / "cri-containerd-aaa.scope")},
      {std::string(kUid) + "/bbb", inode(pod / "cri-containerd-bbb.scope")},
      {"11111111-2222-3333-4444-555555555555/", inode(root / "kubepods/besteffort/pod11111111-2222-3333-4444-555555555555")},
      {"11111111-2222-3333-4444-555555555555/ccc",
       inode(root / "kubepods/besteffort/pod11111111-2222-3333-4444-555555555555/ccc")}};
  auto found = scan_kubepods(root);
  fs::remove_all(root);
  std::map<std::string, uint64_t> ids;  // two pods, three containers; nothing below a container
  for (const auto& f : found) ids[f.path.pod_uid + "/" + f.path.container_id] = f.cgroup_id;
  EXPECT_EQ(found.size(), 5u);
  EXPECT_EQ(ids, expected);
  for (const auto& f : found) {
    if (f.path.container_id == "ccc") {
      EXPECT_EQ(f.path.qos, "besteffort");
    }
  }
}

}  // namespace
}  // namespace tcpulse::agent
