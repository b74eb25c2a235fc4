// Pod identity: from CNI_ARGS and prevResult into the ABI record and back.
#include "tc-bpf/lib/pod_identity.h"

#include <gtest/gtest.h>

namespace tcpulse {
namespace {

TEST(PodIps, OnlySandboxInterfacesOrUnindexed) {
  auto prev = nlohmann::ordered_json::parse(R"({
    "interfaces":[{"name":"cni0"},{"name":"veth9"},{"name":"eth0","sandbox":"/run/netns/p"}],
    "ips":[{"interface":0,"address":"10.0.0.1/24"},
           {"interface":2,"address":"10.0.0.7/24"},
           {"interface":2,"address":"fd00::7/64"},
           {"address":"10.9.9.9/32"},
           {"interface":7,"address":"10.8.8.8/24"},
           {"interface":2}]})");
  EXPECT_EQ(pod_ips(prev), (std::vector<std::string>{"10.0.0.7", "fd00::7", "10.9.9.9"}));
}

TEST(PodIdentity, FromArgsWithFallbackName) {
  CniAttachment req{"0123456789abcdef0123", "eth0", "k8s-pod-network", {}};
  PodRecord rec = pod_identity(req, 4026532000, nullptr);
  EXPECT_EQ(rec.pod_name, "0123456789ab");  // no K8S_POD_NAME: short container id
  EXPECT_EQ(rec.network, "k8s-pod-network");
  EXPECT_EQ(rec.netns_ino, 4026532000u);
  req.args = {{"K8S_POD_NAMESPACE", "shop"}, {"K8S_POD_NAME", "cart-1"}, {"K8S_POD_UID", "u"}};
  rec = pod_identity(req, 1, nullptr);
  EXPECT_EQ(rec.pod_namespace, "shop");
  EXPECT_EQ(rec.pod_name, "cart-1");
  EXPECT_EQ(rec.pod_uid, "u");
}

TEST(PodRecord, RoundTripsThroughTheAbi) {
  PodRecord rec;
  rec.pod_namespace = "ns";
  rec.pod_name = "p";
  rec.pod_uid = "0f0e";
  rec.container_id = "cid";
  rec.ifname = "eth0";
  rec.network = "net";
  rec.netns_ino = 42;
  rec.added_unix_ns = 7;
  rec.ips = {"10.1.2.3", "fd00::1", "not-an-ip", "10.0.0.1", "10.0.0.2", "10.0.0.3"};
  PodRecord back = PodRecord::from_abi(rec.to_abi());
  EXPECT_EQ(back.pod_namespace, "ns");
  EXPECT_EQ(back.container_id, "cid");
  EXPECT_EQ(back.network, "net");
  EXPECT_EQ(back.netns_ino, 42u);
  // Unparseable addresses are skipped, at most TCPULSE_POD_MAX_IPS kept.
  EXPECT_EQ(back.ips, (std::vector<std::string>{"10.1.2.3", "fd00::1", "10.0.0.1", "10.0.0.2"}));
  EXPECT_TRUE(back.is_attachment("cid", "eth0"));
  EXPECT_FALSE(back.is_attachment("cid", "net1"));
}

TEST(PodRecord, LongStringsAreTruncatedAndTerminated) {
  PodRecord rec;
  rec.pod_name = std::string(400, 'n');
  rec.pod_namespace = std::string(100, 's');
  tcpulse_pod_info info = rec.to_abi();
  EXPECT_EQ(info.pod_name[TCPULSE_POD_NAME_LEN - 1], '\0');
  PodRecord back = PodRecord::from_abi(info);
  EXPECT_EQ(back.pod_name.size(), TCPULSE_POD_NAME_LEN - 1u);
  EXPECT_EQ(back.pod_namespace.size(), TCPULSE_POD_NAMESPACE_LEN - 1u);
}

}  // namespace
}  // namespace tcpulse
