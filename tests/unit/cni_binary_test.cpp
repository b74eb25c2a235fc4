// The tcpulse binary driven the way libcni drives it (env + stdin): stdout is exactly the result
// or a spec error, the exit status matches, and failures in the monitoring path fail open.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/command.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

const std::string kPrev =
    R"({"cniVersion":"1.0.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/none"}],)"
    R"("ips":[{"interface":0,"address":"10.1.0.5/24"}],"dns":{}})";

std::string pin_dir() { return "/tmp/tcpulse-no-such-pins-" + std::to_string(getpid()); }

std::string conf(const std::string& version, const std::string& extra = "") {
  return R"({"cniVersion":")" + version + R"(","name":"n","type":"tcpulse","pinDir":")" +
         pin_dir() + R"(","stateDir":")" + pin_dir() + "-state\"" + extra + R"(,"prevResult":)" +
         kPrev + "}";
}

std::map<std::string, std::string> env(const std::string& cmd) {
  return {{"CNI_COMMAND", cmd}, {"CNI_CONTAINERID", "c1"}, {"CNI_NETNS", "/run/netns/tcpulse-none"},
          {"CNI_IFNAME", "eth0"}, {"CNI_PATH", "/usr/lib/cni"}};
}

CommandResult plugin(const std::string& cmd, const std::string& in) {
  return run_command({plugin_binary().string()}, in, env(cmd));
}

TEST(CniBinary, VersionListsEverySupportedVersion) {
  auto r = plugin("VERSION", R"({"cniVersion":"0.4.0"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = json::parse(r.out);
  EXPECT_EQ(out["cniVersion"], "0.4.0");
  EXPECT_EQ(out["supportedVersions"],
            json::parse(R"(["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"])"));
}

TEST(CniBinary, ErrorsAreSpecJsonOnStdout) {
  auto r = plugin("ADD", "{broken");
  EXPECT_EQ(r.exit_code, 1);
  auto out = json::parse(r.out);
  EXPECT_EQ(out["code"], 6);
  EXPECT_TRUE(out["msg"].is_string());
  EXPECT_FALSE(r.err.empty());  // the log line goes to stderr
  r = plugin("ADD", R"({"cniVersion":"0.4.0","name":"n","type":"tcpulse"})");
  EXPECT_EQ(json::parse(r.out)["code"], 7);
  EXPECT_EQ(json::parse(r.out)["cniVersion"], "0.4.0");
}

TEST(CniBinary, AddFailsOpenAndPassesPrevResultThrough) {
  for (const char* v : {"0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    auto r = plugin("ADD", conf(v));
    ASSERT_EQ(r.exit_code, 0) << v << ": " << r.out << r.err;
    auto out = json::parse(r.out);
    auto expected = json::parse(kPrev);
    expected["cniVersion"] = v;
    EXPECT_EQ(out, expected) << v;
    EXPECT_NE(r.err.find("not monitored"), std::string::npos) << r.err;
  }
}

TEST(CniBinary, AddFailClosedReportsTheFailure) {
  auto r = plugin("ADD", conf("1.0.0", R"(,"failClosed":true)"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out)["code"], 5);  // the netns does not exist
}

TEST(CniBinary, DelSucceedsWithNothingThere) {
  auto e = env("DEL");
  e["CNI_NETNS"] = "";
  auto r = run_command({plugin_binary().string()},
                       R"({"cniVersion":"1.0.0","name":"n","type":"tcpulse","pinDir":")" + pin_dir() + "\"}", e);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.out.empty());
  EXPECT_FALSE(std::filesystem::exists(pin_dir()));  // nothing created as a side effect
}

// The answer is one valid UTF-8 spec error, whatever the runtime sent.
void expect_spec_error(const CommandResult& r, int code) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto out = json::parse(r.out, nullptr, false);  // discarded if not JSON or not UTF-8
  ASSERT_TRUE(out.is_object()) << r.out;
  EXPECT_EQ(out["code"], code) << r.out;
  EXPECT_NO_THROW((void)out.dump()) << "invalid UTF-8 in " << r.out;
}

// The defect: 100,000 levels of arrays in prevResult (200 KB) overflowed the stack in the copy
// of the request (SIGSEGV, nothing on stdout).
TEST(CniBinary, DeepNestingIsADecodingErrorNotACrash) {
  for (size_t depth : {513u, 100000u, 500000u}) {
    std::string prev = std::string(depth, '[') + std::string(depth, ']');
    std::string in = R"({"cniVersion":"1.0.0","name":"n","type":"tcpulse","prevResult":{"x":)" +
                     prev + "}}";
    for (const char* cmd : {"ADD", "DEL", "CHECK", "VERSION"}) {
      SCOPED_TRACE(std::string(cmd) + " depth " + std::to_string(depth));
      expect_spec_error(plugin(cmd, in), 6);
    }
  }
  // Within the limit it is an ordinary (if odd) prevResult: ADD fails open and passes it on.
  std::string prev = std::string(500, '[') + std::string(500, ']');
  auto r = plugin("ADD", conf("1.0.0").substr(0, conf("1.0.0").size() - 1 - kPrev.size()) +
                             R"({"x":)" + prev + "}}");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out)["x"].dump().size(), prev.size());
}

// The defect: nlohmann's dump() threw on invalid UTF-8 quoted in an error (SIGABRT, no JSON).
TEST(CniBinary, InvalidUtf8InWhatIsQuotedBackStillGivesASpecError) {
  expect_spec_error(plugin("ADD", "{\"cniVersion\":\"1.0.0\",\"name\":\"\xff\xfe\"}"), 6);
  expect_spec_error(plugin("ADD", std::string("\xc3\x28\xa0\xa1\xe2\x28\xa1", 7)), 6);
  auto e = env("ADD");
  e["CNI_COMMAND"] = "\xff\xfe" "ADD";
  expect_spec_error(run_command({plugin_binary().string()}, conf("1.0.0"), e), 4);
  e = env("ADD");
  e["CNI_IFNAME"] = "eth0\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7\xf6\xf5\xf4\xf3";  // 17 bytes
  expect_spec_error(run_command({plugin_binary().string()}, conf("1.0.0"), e), 4);
}

// Attachments that cannot be recorded exactly are passed through unmonitored, never failed.
TEST(CniBinary, AnUnrecordableAttachmentFailsOpen) {
  for (std::string id : {std::string("bad id with spaces"), std::string(300, 'a'),
                         std::string("\xff\xfe"), std::string(".leading-dot")}) {
    auto e = env("ADD");
    e["CNI_CONTAINERID"] = id;
    auto r = run_command({plugin_binary().string()}, conf("1.0.0"), e);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(json::parse(r.out)["ips"], json::parse(kPrev)["ips"]);
    EXPECT_NE(r.err.find("cannot record"), std::string::npos) << r.err;
  }
}

TEST(CniBinary, StatusWithoutDatapathIsCode50) {
  auto r = plugin("STATUS", conf("1.1.0"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out)["code"], 50);
}

}  // namespace
}  // namespace tcpulse::test
