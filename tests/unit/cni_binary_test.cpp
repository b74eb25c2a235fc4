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

TEST(CniBinary, StatusWithoutDatapathIsCode50) {
  auto r = plugin("STATUS", conf("1.1.0"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out)["code"], 50);
}

}  // namespace
}  // namespace tcpulse::test
