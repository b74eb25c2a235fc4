#include "tc-bpf/lib/pin_layout.h"

#include <gtest/gtest.h>

namespace tcpulse {
namespace {

TEST(PinLayout, VersionedPaths) {
  PinLayout layout("/sys/fs/bpf/x");
  EXPECT_EQ(layout.root(), "/sys/fs/bpf/x/v" + std::to_string(TCPULSE_ABI_VERSION));
  EXPECT_EQ(layout.map("tcpulse_flows4"), layout.root() / "maps/tcpulse_flows4");
  EXPECT_EQ(layout.prog(TcHook::Egress), layout.root() / "progs/egress");
  EXPECT_EQ(layout.link("abc", "eth0", TcHook::Ingress), layout.root() / "links/abc_eth0_ingress");
}

TEST(PinLayout, AttachmentNamesAreSafeForBpffs) {
  // bpffs refuses '.' and '/' in names.
  EXPECT_EQ(attachment_name("a.b/c", "eth0"), "a-b-c_eth0");
  EXPECT_LE(attachment_name(std::string(1000, 'f'), std::string(100, 'e')).size(), 255u);
}

}  // namespace
}  // namespace tcpulse
