#include "tc-bpf/lib/pin_layout.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "tc-bpf/lib/pod_record.h"

namespace tcpulse {
namespace {

TEST(PinLayout, VersionedPaths) {
  PinLayout layout("/sys/fs/bpf/x");
  EXPECT_EQ(layout.root(), "/sys/fs/bpf/x/v" + std::to_string(TCPULSE_ABI_VERSION));
  EXPECT_EQ(layout.map("tcpulse_flows4"), layout.root() / "maps/tcpulse_flows4");
  EXPECT_EQ(layout.prog(TcHook::Egress), layout.root() / "progs/egress");
  EXPECT_EQ(layout.link("abc", "eth0", TcHook::Ingress), layout.root() / "links/abc@eth0_ingress");
  EXPECT_EQ(layout.legacy_link("a.b", "eth0", TcHook::Egress), layout.root() / "links/a-b_eth0_egress");
}

TEST(PinLayout, AttachmentNamesAreSafeForBpffs) {
  // bpffs refuses '.' and '/' in names.
  for (const auto& name : {attachment_name("a.b/c", "eth0"), attachment_name("x", "e.t/h\xff")}) {
    EXPECT_EQ(name.find('.'), std::string::npos) << name;
    EXPECT_EQ(name.find('/'), std::string::npos) << name;
  }
  EXPECT_EQ(attachment_name("a.b_c-d", "eth0"), "a+b_c-d@eth0");
  // The longest attachment a record holds still leaves room for the hook suffix.
  std::string longest_id(TCPULSE_CONTAINER_ID_LEN - 1, '.');
  longest_id[0] = 'a';
  ASSERT_FALSE(PodRecord::unrecordable(longest_id, std::string(15, '\x7f')));
  EXPECT_LE(attachment_name(longest_id, std::string(15, '\x7f')).size() + 8, 255u);
}

// The defect: "a.b" and "a-b" (both allowed by the spec) shared their pins, so one pod's ADD
// unhooked the other and one's DEL removed the other's links.
TEST(PinLayout, NoTwoAttachmentsShareAName) {
  EXPECT_NE(attachment_name("a.b", "eth0"), attachment_name("a-b", "eth0"));
  EXPECT_NE(attachment_name("a_b", "eth0"), attachment_name("a", "b_eth0"));
  EXPECT_NE(attachment_name("a", "b@c"), attachment_name("a@b", "c"));
  EXPECT_NE(attachment_name("a", "%2e"), attachment_name("a", "."));
  EXPECT_EQ(legacy_attachment_name("a.b", "eth0"), legacy_attachment_name("a-b", "eth0"));

  // Random attachments over the characters that collide in the old scheme: distinct pairs get
  // distinct names.
  std::mt19937 rng(7);
  const std::string alphabet = "ab._-@%+/";
  auto random_text = [&](size_t max) {
    std::string s(rng() % max + 1, 'a');
    for (char& c : s) c = alphabet[rng() % alphabet.size()];
    return s;
  };
  std::map<std::string, std::pair<std::string, std::string>> seen;
  for (int i = 0; i < 200000; i++) {
    auto pair = std::make_pair(random_text(6), random_text(4));
    auto [it, fresh] = seen.emplace(attachment_name(pair.first, pair.second), pair);
    if (!fresh) {
      ASSERT_EQ(it->second, pair) << "collision on " << it->first;
    }
  }
}

}  // namespace
}  // namespace tcpulse
