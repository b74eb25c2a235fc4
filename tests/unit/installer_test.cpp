// install/tcpulse-install.sh on a scratch CNI dir: chains tcpulse once, keeps everything else,
// and uninstall restores the original plugin list.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/command.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

class Installer : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tcpulse-install-XXXXXX";
    dir_ = mkdtemp(tmpl);
    std::filesystem::create_directories(dir_ / "net.d");
    original_ = json::parse(R"({"cniVersion":"1.0.0","name":"k8s-pod-network","plugins":[
        {"type":"calico","ipam":{"type":"calico-ipam"}},{"type":"portmap","capabilities":{"portMappings":true}}]})");
    std::ofstream(dir_ / "net.d/10-calico.conflist") << original_.dump(2);
    std::ofstream(dir_ / "net.d/99-other.conflist") << original_.dump();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CommandResult run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {(source_dir() / "install/tcpulse-install.sh").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--bin-dir", (dir_ / "bin").string(), "--conf-dir", (dir_ / "net.d").string()});
    return run_command(argv);
  }
  json conflist(const std::string& name) {
    return json::parse(std::ifstream(dir_ / "net.d" / name));
  }

  std::filesystem::path dir_;
  json original_;
};

TEST_F(Installer, ChainsOnceAfterThePrimaryAndUninstalls) {
  std::vector<std::string> install = {"install", "--plugin", plugin_binary().string(), "--config",
                                      R"({"failClosed":false})"};
  ASSERT_EQ(run(install).exit_code, 0);
  ASSERT_EQ(run(install).exit_code, 0);  // idempotent
  auto conf = conflist("10-calico.conflist");
  ASSERT_EQ(conf["plugins"].size(), 3u);
  EXPECT_EQ(conf["plugins"][0], original_["plugins"][0]);
  EXPECT_EQ(conf["plugins"][1], original_["plugins"][1]);
  EXPECT_EQ(conf["plugins"][2], json::parse(R"({"type":"tcpulse","failClosed":false})"));
  EXPECT_EQ(conflist("99-other.conflist"), original_);  // only the active conflist is changed
  EXPECT_TRUE(std::filesystem::exists(dir_ / "bin/tcpulse"));

  ASSERT_EQ(run({"uninstall"}).exit_code, 0);
  EXPECT_EQ(conflist("10-calico.conflist"), original_);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "bin/tcpulse"));
}

TEST_F(Installer, RefusesClearly) {
  std::filesystem::remove(dir_ / "net.d/10-calico.conflist");
  std::filesystem::remove(dir_ / "net.d/99-other.conflist");
  auto r = run({"install", "--plugin", plugin_binary().string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no CNI conflist"), std::string::npos) << r.err;
  r = run({"install", "--plugin", plugin_binary().string(), "--config", "[1]"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(run({"frobnicate"}).exit_code, 2);
}

}  // namespace
}  // namespace tcpulse::test
