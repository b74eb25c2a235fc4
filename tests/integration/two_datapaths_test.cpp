// Two tcpulse datapaths (two pin bases: a test beside a node's install, two installs) attached to
// one pod's veth: each detaches only its own programs, and the other keeps counting. The defect:
// in tc mode both used one cls_bpf handle, so after one of them handled the pod's DEL the other
// counted 76 B of a 5 MB transfer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/host_veth.h"
#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/pod_attachment.h"
#include "tc-bpf/lib/pod_identity.h"
#include "tests/support/test_pins.h"
#include "tests/support/agent_process.h"
#include "tests/support/privileges.h"
#include "tests/support/tcp_transfer.h"
#include "tests/support/test_node.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

std::filesystem::path pin_base(const char* which) {
  return test_pin_dir("two-" + std::string(which));
}

uint64_t pod_bytes(const AgentProcess& agent, const std::string& container_id, const char* dir) {
  for (const auto& p : json::parse(agent.get("/pods")))
    if (p["container_id"] == container_id) return p[dir]["bytes"];
  return 0;
}

TEST(TwoDatapaths, EachDetachesOnlyItsOwnAndTheOtherKeepsCounting) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  for (std::string mode : {"tc", "tcx"}) {
    SCOPED_TRACE(mode);
    AgentProcess first(pin_base("a")), second(pin_base("b"));
    first.wait_ready();
    second.wait_ready();
    EXPECT_NE(PinLayout(pin_base("a")).clsact_handle(), PinLayout(pin_base("b")).clsact_handle());
    TestNode node(pin_base("a"), R"({"attachMode": ")" + mode + R"("})");
    TestPod client = node.add_pod("client"), server = node.add_pod("server");

    // The second datapath attaches the client too, as its own CNI plugin would.
    auto veth = find_host_veth(client.netns_path, "eth0");
    ASSERT_TRUE(veth && veth->host);
    auto second_attachments = PodAttachments::open(PinLayout(pin_base("b")));
    ASSERT_TRUE(second_attachments) << second_attachments.error().describe();
    CniAttachment attachment{client.container_id, "eth0", "second", {{"K8S_POD_NAME", "client"}}};
    auto attached = second_attachments->attach(
        veth->host->ifindex, pod_identity(attachment, veth->netns_ino, nullptr),
        mode == "tc" ? AttachMode::Clsact : AttachMode::Tcx);
    ASSERT_TRUE(attached) << attached.error().describe();

    // The node's own datapath lets go of the client (its DEL, the pod staying up).
    ASSERT_TRUE(detach_pod(PinLayout(pin_base("a")), client.container_id, "eth0"));
    auto still = second_attachments->verify(client.container_id, "eth0");
    EXPECT_TRUE(still) << still.error().describe();

    uint64_t before = pod_bytes(second, client.container_id, "egress");
    constexpr uint64_t kBytes = 5 << 20;
    auto done = tcp_transfer(server.netns_path, server.ip, 5201, client.netns_path, kBytes);
    ASSERT_EQ(done.received, kBytes);
    EXPECT_GE(pod_bytes(second, client.container_id, "egress") - before, kBytes);
    ASSERT_TRUE(detach_pod(PinLayout(pin_base("b")), client.container_id, "eth0"));
  }
}

}  // namespace
}  // namespace tcpulse::test
