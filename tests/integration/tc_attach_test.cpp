// Where attach_program puts a tcx link among the programs already on a hook: the datapath goes
// first in line (a primary CNI's redirect after it cannot hide packets from it), and the
// benchmark's floor can go on either side of it.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/tc_attach.h"
#include "tests/support/command.h"
#include "tests/support/datapath_under_test.h"
#include "tests/support/privileges.h"

namespace tcpulse::test {
namespace {

class TcAttach : public ::testing::Test {
 protected:
  void SetUp() override {
    TCPULSE_SKIP_UNLESS(bpf_unavailable());
    veth_ = "tpa" + std::to_string(getpid() % 1000000);
    pins_ = std::filesystem::path("/sys/fs/bpf") / ("tcpulse-attach-test-" + std::to_string(getpid()));
    run_checked({"ip", "link", "add", veth_, "type", "veth", "peer", "name", veth_ + "p"});
    std::filesystem::create_directories(pins_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(pins_, ec);  // unpinning detaches
    if (!veth_.empty()) run_command({"ip", "link", "del", veth_});
  }

  std::string veth_;
  std::filesystem::path pins_;
};

TEST_F(TcAttach, FirstGoesBeforeTheProgramsThereAndLastAfterThem) {
  DatapathUnderTest a, b, c;
  ASSERT_TRUE(a.loaded() && b.loaded() && c.loaded());
  int fd_a = a.prog_fd(TCPULSE_DIR_EGRESS), fd_b = b.prog_fd(TCPULSE_DIR_EGRESS),
      fd_c = c.prog_fd(TCPULSE_DIR_EGRESS);
  auto link = find_link(veth_);
  ASSERT_TRUE(link) << link.error().describe();

  ASSERT_TRUE(attach_program(fd_a, link->ifindex, TcHook::Ingress, pins_ / "a", AttachMode::Tcx));
  ASSERT_TRUE(attach_program(fd_b, link->ifindex, TcHook::Ingress, pins_ / "b", AttachMode::Tcx));
  ASSERT_TRUE(attach_program(fd_c, link->ifindex, TcHook::Ingress, pins_ / "c", AttachMode::Tcx,
                             TcxPosition::Last));

  auto order = tcx_programs(link->ifindex, TcHook::Ingress);
  ASSERT_TRUE(order) << order.error().describe();
  EXPECT_EQ(order.value(),
            (std::vector<uint32_t>{prog_id_of(fd_b), prog_id_of(fd_a), prog_id_of(fd_c)}));
}

}  // namespace
}  // namespace tcpulse::test
