// A host-network pod's name from its runtime's OCI bundle: containerd's and CRI-O's annotations,
// and nothing from a bundle that is missing, malformed, oversized, or not a pod's.
#include "agent/sandbox_metadata.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace tcpulse::agent {
namespace {

namespace fs = std::filesystem;

class SandboxMetadata : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tcpulse-bundles-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& relative, const std::string& text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << text;
  }
  fs::path dir_;
};

TEST_F(SandboxMetadata, ContainerdAndCrioBundlesNameThePod) {
  write("c1/config.json", R"({"ociVersion":"1.0.2","annotations":{
      "io.kubernetes.cri.container-type":"container",
      "io.kubernetes.cri.sandbox-namespace":"ingress-nginx",
      "io.kubernetes.cri.sandbox-name":"controller-7d9f",
      "io.kubernetes.cri.sandbox-uid":"1B4E28BA-2FA1-11D2-883F-0016D3CCA427",
      "io.kubernetes.cri.sandbox-id":"5f0c"}})");
  write("c2/userdata/config.json", R"({"annotations":{
      "io.kubernetes.pod.namespace":"kube-system","io.kubernetes.pod.name":"node-local-dns-x",
      "io.kubernetes.pod.uid":"6fa459ea-ee8a-3ca4-894e-db77e160355e",
      "io.kubernetes.cri-o.SandboxID":"9a1b"}})");
  auto a = read_sandbox_identity({dir_}, "c1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->pod_namespace, "ingress-nginx");
  EXPECT_EQ(a->pod_name, "controller-7d9f");
  EXPECT_EQ(a->pod_uid, "1b4e28ba-2fa1-11d2-883f-0016d3cca427");  // as the cgroup scan spells it
  EXPECT_EQ(a->sandbox_id, "5f0c");
  auto b = read_sandbox_identity({"/nonexistent", dir_}, "c2");  // the second state dir
  ASSERT_TRUE(b);
  EXPECT_EQ(b->pod_namespace, "kube-system");
  EXPECT_EQ(b->pod_name, "node-local-dns-x");
  EXPECT_EQ(b->sandbox_id, "9a1b");
}

TEST_F(SandboxMetadata, NothingFromBundlesThatDoNotNameAPod) {
  write("missing-uid/config.json",
        R"({"annotations":{"io.kubernetes.cri.sandbox-namespace":"a","io.kubernetes.cri.sandbox-name":"b"}})");
  write("not-json/config.json", "{\"annotations\": {");
  write("wrong-types/config.json", R"({"annotations":{"io.kubernetes.pod.namespace":1,
      "io.kubernetes.pod.name":["x"],"io.kubernetes.pod.uid":null}})");
  write("no-annotations/config.json", R"({"ociVersion":"1.0.2"})");
  write("array/config.json", "[1,2,3]");
  write("huge/config.json", std::string(2 << 20, ' ') + "{}");
  write("deep/config.json", std::string(100000, '[') + std::string(100000, ']'));
  for (const char* id : {"missing-uid", "not-json", "wrong-types", "no-annotations", "array", "huge",
                         "deep", "absent"})
    EXPECT_FALSE(read_sandbox_identity({dir_}, id)) << id;
  // An id from a cgroup name is never a path out of the state dir.
  write("config.json", R"({"annotations":{"io.kubernetes.pod.namespace":"a",
      "io.kubernetes.pod.name":"b","io.kubernetes.pod.uid":"c"}})");
  for (const char* id : {"..", ".", "", "../x", "a/b"})
    EXPECT_FALSE(read_sandbox_identity({dir_ / "sub"}, id)) << id;
}

}  // namespace
}  // namespace tcpulse::agent
