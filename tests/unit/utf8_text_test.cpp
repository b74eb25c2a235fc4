// Text from outside leaves tcpulse as valid UTF-8, and fields are cut on character boundaries.
#include "tc-bpf/lib/utf8_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/pod_identity.h"

namespace tcpulse {
namespace {

TEST(Utf8Text, ValidTextIsUnchanged) {
  for (std::string s : {"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "a\nb\"c"}) {
    EXPECT_TRUE(is_valid_utf8(s)) << s;
    EXPECT_EQ(valid_utf8(s), s);
  }
}

TEST(Utf8Text, EveryMalformedSequenceIsReplaced) {
  const std::string fffd = "\xef\xbf\xbd";
  struct Case {
    std::string in, out;
  } cases[] = {
      {"\xff", fffd},
      {"a\xc3", "a" + fffd},                          // cut after a lead byte
      {"\xc0\xaf", fffd + fffd},                      // overlong '/'
      {"\xe0\x80\xaf", fffd + fffd + fffd},           // overlong, three bytes
      {"\xed\xa0\x80", fffd + fffd + fffd},           // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", fffd + fffd + fffd + fffd},  // past U+10FFFF
      {"\x80x", fffd + "x"},                          // a stray continuation byte
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(is_valid_utf8(c.in));
    EXPECT_EQ(valid_utf8(c.in), c.out);
    EXPECT_TRUE(is_valid_utf8(valid_utf8(c.in)));
    EXPECT_NO_THROW((void)nlohmann::json(valid_utf8(c.in)).dump());
  }
}

TEST(Utf8Text, PrefixesEndOnACharacterBoundary) {
  std::string s = "ab\xc3\xa9" "c";  // a b é c
  EXPECT_EQ(utf8_prefix(s, 2), "ab");
  EXPECT_EQ(utf8_prefix(s, 3), "ab");  // not half of é
  EXPECT_EQ(utf8_prefix(s, 4), "ab\xc3\xa9");
  EXPECT_EQ(utf8_prefix(s, 100), s);
}

// The defect: a 254-byte name and a two-byte character were cut at 255 bytes mid-character,
// and /pods answered 500 for every pod.
TEST(PodRecord, NamesAreCutOnACharacterBoundaryAndComeBackValid) {
  PodRecord rec;
  rec.pod_name = std::string(254, 'n') + "\xc3\xa9";
  rec.pod_namespace = std::string(62, 's') + "\xe2\x82\xac";
  rec.network = std::string(63, 'w') + "x";
  tcpulse_pod_info info = rec.to_abi();
  PodRecord back = PodRecord::from_abi(info);
  EXPECT_EQ(back.pod_name, std::string(254, 'n'));
  EXPECT_EQ(back.pod_namespace, std::string(62, 's'));
  EXPECT_TRUE(back.in_network(rec.network));
  EXPECT_FALSE(back.in_network("w"));
  // A record an older release cut mid-character reads back valid.
  std::memcpy(info.pod_name + 253, "\xc3", 2);
  EXPECT_TRUE(is_valid_utf8(PodRecord::from_abi(info).pod_name));
}

TEST(PodIdentity, ArgumentsAreRecordedAsUtf8) {
  CniAttachment a{"c1", "eth0", "net\xff", {{"K8S_POD_NAME", "p\xff\xfe"}, {"K8S_POD_NAMESPACE", "n\x80"}}};
  PodRecord rec = pod_identity(a, 1, nullptr);
  EXPECT_EQ(rec.pod_name, "p\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_TRUE(is_valid_utf8(rec.pod_namespace));
  EXPECT_TRUE(is_valid_utf8(rec.network));
}

TEST(PodRecord, OnlyExactlyRecordableAttachmentsAreRecorded) {
  EXPECT_FALSE(PodRecord::unrecordable("0123abcd", "eth0"));
  EXPECT_FALSE(PodRecord::unrecordable("a.b_c-d", "net1"));
  EXPECT_FALSE(PodRecord::unrecordable(std::string(127, 'f'), "eth0"));
  EXPECT_TRUE(PodRecord::unrecordable(std::string(128, 'f'), "eth0"));  // would be cut
  EXPECT_TRUE(PodRecord::unrecordable("", "eth0"));
  EXPECT_TRUE(PodRecord::unrecordable("-lead", "eth0"));
  EXPECT_TRUE(PodRecord::unrecordable("a b", "eth0"));
  EXPECT_TRUE(PodRecord::unrecordable("a/b", "eth0"));
  EXPECT_TRUE(PodRecord::unrecordable("abc", "eth\xff"));
}

}  // namespace
}  // namespace tcpulse
