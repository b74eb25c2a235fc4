// Untrusted JSON is refused when too large or too deep, before anything recursive touches it.
#include "tc-bpf/lib/untrusted_json.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "tc-bpf/lib/pending_pods.h"

namespace tcpulse {
namespace {

TEST(UntrustedJson, NestingIsCountedOutsideStringsOnly) {
  EXPECT_TRUE(json_depth_within("[[[]]]", 3));
  EXPECT_FALSE(json_depth_within("[[[[]]]]", 3));
  EXPECT_TRUE(json_depth_within(R"(["[[[[[[", "\"[[[[["])", 1));
  EXPECT_FALSE(json_depth_within(R"({"a":{"b":[{}]}})", 3));
  EXPECT_TRUE(json_depth_within("]]]][[", 2));  // not JSON; the scan still ends
}

TEST(UntrustedJson, ParsesWithinTheLimitsOnly) {
  EXPECT_TRUE(parse_untrusted_json(R"({"a":[1,2]})", 100));
  auto big = parse_untrusted_json(std::string(200, ' ') + "1", 100);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code(), E2BIG);
  std::string deep = std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  EXPECT_FALSE(parse_untrusted_json(deep, 1 << 20));
  std::string ok = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_TRUE(parse_untrusted_json(ok, 1 << 20));
  EXPECT_FALSE(parse_untrusted_json("{\"a\":\"\xff\"}", 100));
}

class PendingQueue : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tcpulse-pending-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  PendingPod pod(const std::string& cid) {
    PendingPod p;
    p.record.container_id = cid;
    p.record.ifname = "eth0";
    p.record.pod_name = "p";
    p.host_ifindex = 7;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(PendingQueue, HostileFilesAreSkippedAndLeftForAPersonToSee) {
  ASSERT_TRUE(write_pending(dir_, pod("good")));
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir_ / "pending" / name) << text;
  };
  write("deep.json", std::string(1 << 18, '['));
  write("huge.json", "{\"namespace\":\"" + std::string(1 << 20, 'x') + "\"}");
  write("wrong.json", R"({"namespace":1})");
  std::vector<std::filesystem::path> bad;
  auto pods = list_pending(dir_, &bad);
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0].record.container_id, "good");
  EXPECT_EQ(bad.size(), 3u);
}

// The defect: a failed write left a 0-byte <id>.json.tmp<pid> that nothing ever removed.
TEST_F(PendingQueue, AFailedWriteLeavesNoTempFile) {
  ASSERT_TRUE(write_pending(dir_, pod("a")));
  // The final name is a directory: the rename fails after the temp file was written.
  std::filesystem::create_directories(dir_ / "pending" / "b@eth0.json" / "x");
  EXPECT_FALSE(write_pending(dir_, pod("b")));
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "pending"))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

// The record's one JSON form round-trips; a file an older plugin queued (its key "ifname") reads.
TEST_F(PendingQueue, TheRecordsOneJsonFormRoundTripsAndOlderFilesRead) {
  PendingPod p = pod("c.1");
  p.record.ips = {"10.1.0.5", "fd00::5"};
  p.record.netns_ino = 4026532000;
  ASSERT_TRUE(write_pending(dir_, p));
  auto read = list_pending(dir_);
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].record.to_json(), p.record.to_json());
  EXPECT_EQ(read[0].host_ifindex, 7);
  std::ofstream(dir_ / "pending" / "old_eth0.json")
      << R"({"namespace":"n","pod":"p","pod_uid":"u","container_id":"old","ifname":"eth0",)"
      << R"("network":"k","netns_ino":1,"added_unix_ns":2,"ips":[],"host_ifindex":9})";
  read = list_pending(dir_);
  ASSERT_EQ(read.size(), 2u);
  bool found = false;
  for (const auto& r : read) found |= r.record.is_attachment("old", "eth0") && r.host_ifindex == 9;
  EXPECT_TRUE(found);
}

// Temp files an older plugin left are swept once stale, never while a write may be under way.
TEST_F(PendingQueue, StaleTempFilesAreSwept) {
  ASSERT_TRUE(write_pending(dir_, pod("a")));
  auto old_tmp = dir_ / "pending" / "b_eth0.json.tmp123";
  auto new_tmp = dir_ / "pending" / "c_eth0.json.tmp456";
  std::ofstream(old_tmp).flush();
  std::ofstream(new_tmp).flush();
  std::filesystem::last_write_time(old_tmp, std::filesystem::file_time_type::clock::now() -
                                                std::chrono::minutes(5));
  EXPECT_EQ(sweep_pending_temp_files(dir_), 1);
  EXPECT_FALSE(std::filesystem::exists(old_tmp));
  EXPECT_TRUE(std::filesystem::exists(new_tmp));
  EXPECT_EQ(list_pending(dir_).size(), 1u);
}

// Two containers whose ids differ in '.' and '-' shared one queue file; and a DEL finds a file
// an older plugin wrote under the old name, but only its own.
TEST_F(PendingQueue, EachAttachmentHasItsOwnFileAndLegacyFilesAreMatchedExactly) {
  ASSERT_TRUE(write_pending(dir_, pod("x.y")));
  ASSERT_TRUE(write_pending(dir_, pod("x-y")));
  EXPECT_EQ(list_pending(dir_).size(), 2u);
  EXPECT_TRUE(remove_pending(dir_, "x.y", "eth0").value());
  auto left = list_pending(dir_);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].record.container_id, "x-y");

  // An old plugin wrote x-y's file as "x-y_eth0.json"; x.y's DEL must not take it.
  std::filesystem::rename(dir_ / "pending" / "x-y@eth0.json", dir_ / "pending" / "x-y_eth0.json");
  EXPECT_FALSE(remove_pending(dir_, "x.y", "eth0").value());
  EXPECT_EQ(list_pending(dir_).size(), 1u);
  EXPECT_TRUE(remove_pending(dir_, "x-y", "eth0").value());
  EXPECT_TRUE(list_pending(dir_).empty());
}

}  // namespace
}  // namespace tcpulse
