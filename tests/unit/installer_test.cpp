// tcpulse-install on scratch CNI dirs: chains tcpulse into the config libcni would use, in every
// shape primary CNIs write, keeps every other byte, and puts each file back byte for byte; bad
// input is one line naming the file or flag, with nothing written or left behind.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/support/agent_process.h"
#include "tests/support/file_bytes.h"
#include "tests/support/cni_config_shapes.h"
#include "tests/support/command.h"

namespace tcpulse::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using DirSnapshot = std::map<std::string, std::string>;  // relative path → bytes ("<dir>" for dirs)

void spit(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

class Installer : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tcpulse-install-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(conf_dir());
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path conf_dir() const { return dir_ / "net.d"; }
  fs::path bin_dir() const { return dir_ / "bin"; }

  CommandResult run(std::vector<std::string> args, bool with_dirs = true) {
    std::vector<std::string> argv = {installer_binary().string()};
    if (!args.empty()) argv.push_back(args[0]);
    if (with_dirs) {
      argv.insert(argv.end(), {"--bin-dir", bin_dir().string(), "--conf-dir", conf_dir().string()});
      if (args[0] == "install") argv.insert(argv.end(), {"--plugin", plugin_binary().string()});
    }
    if (!args.empty()) argv.insert(argv.end(), args.begin() + 1, args.end());  // later flags win
    return run_command(argv);
  }
  CommandResult install(const std::string& config = "{}") { return run({"install", "--config", config}); }

  DirSnapshot snapshot() const {
    DirSnapshot s;
    for (const auto& e : fs::recursive_directory_iterator(dir_))
      if (e.is_directory()) s[fs::relative(e.path(), dir_).string()] = "<dir>";
      else {
        std::string bytes = file_bytes(e.path());  // a binary is told by its size and hash, not shown
        s[fs::relative(e.path(), dir_).string()] =
            bytes.size() < 65536 ? bytes : "<" + std::to_string(bytes.size()) + " bytes, " +
                                               std::to_string(std::hash<std::string>{}(bytes)) + ">";
      }
    return s;
  }
  json plugins_of(const std::string& name) const { return json::parse(file_bytes(conf_dir() / name))["plugins"]; }

  fs::path dir_;
};

// One line on stderr that contains `needle`.
void expect_one_line_error(const CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(Installer, EveryShapeIsChainedLastWithItsBytesKeptAndRestoredExactly) {
  for (const auto& shape : cni_config_shapes()) {
    SCOPED_TRACE(shape.label);
    fs::remove_all(conf_dir());
    fs::remove_all(bin_dir());
    fs::create_directories(conf_dir());
    fs::path file = conf_dir() / shape.file_name;
    spit(file, shape.text);
    ::chmod(file.c_str(), 0640);
    DirSnapshot before = snapshot();

    auto r = install(R"({"failClosed":false,"logLevel":"debug"})");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::string chained = file_bytes(file);
    json original = json::parse(shape.text), now = json::parse(chained);
    ASSERT_EQ(now["plugins"].size(), original["plugins"].size() + 1);
    for (size_t i = 0; i < original["plugins"].size(); ++i) EXPECT_EQ(now["plugins"][i], original["plugins"][i]);
    EXPECT_EQ(now["plugins"].back(), json::parse(R"({"type":"tcpulse","failClosed":false,"logLevel":"debug"})"));
    // Key order and the entry's key order are kept (the text, not just the value).
    EXPECT_LT(chained.find("\"type\":"), chained.find("\"failClosed\":")) << chained;
    auto last = shape.text.rfind('}', shape.text.rfind(']'));
    EXPECT_EQ(chained.substr(0, last + 1), shape.text.substr(0, last + 1)) << "the bytes before the entry moved";
    EXPECT_EQ(now["cniVersion"], original["cniVersion"]);
    struct stat st {};
    ::stat(file.c_str(), &st);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(file_bytes(bin_dir() / "tcpulse"), file_bytes(plugin_binary()));

    // Idempotent: nothing is written the second time.
    ::stat(file.c_str(), &st);
    ino_t inode = st.st_ino;
    r = install(R"({"failClosed":false,"logLevel":"debug"})");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("already chains"), std::string::npos) << r.out;
    ::stat(file.c_str(), &st);
    EXPECT_EQ(st.st_ino, inode);

    ASSERT_EQ(run({"status"}).exit_code, 0);
    r = run({"uninstall"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    fs::remove_all(bin_dir());  // created by install, removed by uninstall but for the dir itself
    DirSnapshot after = snapshot();
    EXPECT_EQ(after, before);
    EXPECT_EQ(file_bytes(file), shape.text);
    ::stat(file.c_str(), &st);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    EXPECT_EQ(run({"status"}).exit_code, 1);
  }
}

TEST_F(Installer, ASingleEntryLaidOutLikeItsNeighbours) {
  auto shapes = cni_config_shapes();
  spit(conf_dir() / shapes[1].file_name, shapes[1].text);  // tabs
  ASSERT_EQ(install(R"({"failClosed":false})").exit_code, 0);
  EXPECT_NE(file_bytes(conf_dir() / shapes[1].file_name).find("\t\t},\n\t\t{\n\t\t\t\"type\": \"tcpulse\",\n\t\t\t\"failClosed\": false\n\t\t}\n\t]"),
            std::string::npos)
      << file_bytes(conf_dir() / shapes[1].file_name);
}

TEST_F(Installer, ChainsTheConfigLibcniUsesAndWrapsASinglePluginConf) {
  // libcni takes the lexically first of *.conf, *.conflist, *.json that loads: the .conf here.
  std::string bridge = "{\n  \"cniVersion\": \"0.4.0\",\n  \"name\": \"mynet\",\n  \"type\": \"bridge\",\n"
                       "  \"bridge\": \"cni0\",\n  \"ipam\": {\"type\": \"host-local\", \"subnet\": \"10.22.0.0/16\"}\n}\n";
  std::string flannel = cni_config_shapes()[1].text;
  spit(conf_dir() / "05-bridge.conf", bridge);
  spit(conf_dir() / "10-flannel.conflist", flannel);
  DirSnapshot before = snapshot();

  auto r = install();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(conf_dir() / "05-bridge.conf"));
  EXPECT_EQ(file_bytes(conf_dir() / "10-flannel.conflist"), flannel);
  json wrapped = json::parse(file_bytes(conf_dir() / "05-bridge.conflist"));
  EXPECT_EQ(wrapped["name"], "mynet");
  EXPECT_EQ(wrapped["cniVersion"], "0.4.0");
  ASSERT_EQ(wrapped["plugins"].size(), 2u);
  EXPECT_EQ(wrapped["plugins"][0], json::parse(bridge));
  EXPECT_EQ(wrapped["plugins"][1], json::parse(R"({"type":"tcpulse"})"));
  auto status = run({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_NE(status.out.find("05-bridge.conflist"), std::string::npos) << status.out;

  ASSERT_EQ(install().exit_code, 0);  // the wrapped conflist is now the active one: no change
  ASSERT_EQ(run({"uninstall"}).exit_code, 0);
  fs::remove_all(bin_dir());
  EXPECT_EQ(snapshot(), before);
}

TEST_F(Installer, OnlyTheActiveConfigChangesAndANamedNetworkCanBeChosen) {
  auto shapes = cni_config_shapes();
  spit(conf_dir() / "10-calico.conflist", shapes[0].text);
  spit(conf_dir() / "20-podman.conflist", shapes[2].text);
  spit(conf_dir() / "30-broken.conflist", "{ not json");  // after the active one: never read
  ASSERT_EQ(install().exit_code, 0);
  EXPECT_EQ(plugins_of("10-calico.conflist").back()["type"], "tcpulse");
  EXPECT_EQ(file_bytes(conf_dir() / "20-podman.conflist"), shapes[2].text);

  // Switching to another network unchains the first, which goes back to its bytes.
  auto r = run({"install", "--network", "podman"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(file_bytes(conf_dir() / "10-calico.conflist"), shapes[0].text);
  EXPECT_EQ(plugins_of("20-podman.conflist").back()["type"], "tcpulse");
  ASSERT_EQ(run({"uninstall"}).exit_code, 0);
  EXPECT_EQ(file_bytes(conf_dir() / "20-podman.conflist"), shapes[2].text);
}

TEST_F(Installer, AnEntryAlreadyThereIsReplacedNeverDuplicated) {
  auto calico = cni_config_shapes()[0].text;
  spit(conf_dir() / "10-calico.conflist", calico);
  ASSERT_EQ(install(R"({"failClosed":false})").exit_code, 0);
  ASSERT_EQ(install(R"({"failClosed":true})").exit_code, 0);
  json plugins = plugins_of("10-calico.conflist");
  ASSERT_EQ(plugins.size(), 4u);
  EXPECT_EQ(plugins.back(), json::parse(R"({"type":"tcpulse","failClosed":true})"));
  ASSERT_EQ(run({"uninstall"}).exit_code, 0);
  EXPECT_EQ(file_bytes(conf_dir() / "10-calico.conflist"), calico);

  // Chained by hand, twice and not last: one entry, last; uninstall takes it out.
  json hand = json::parse(calico);
  hand["plugins"].insert(hand["plugins"].begin() + 1, json{{"type", "tcpulse"}});
  hand["plugins"].push_back(json{{"type", "tcpulse"}, {"logLevel", "warn"}});
  spit(conf_dir() / "10-calico.conflist", hand.dump(2));
  ASSERT_EQ(install().exit_code, 0);
  json expected = json::parse(calico)["plugins"];
  expected.push_back(json{{"type", "tcpulse"}});
  EXPECT_EQ(plugins_of("10-calico.conflist"), expected);
}

TEST_F(Installer, AHandChainedFileLosesOnlyItsEntryOnUninstall) {
  json hand = json::parse(cni_config_shapes()[0].text);
  hand["plugins"].insert(hand["plugins"].begin() + 1, json{{"type", "tcpulse"}});
  spit(conf_dir() / "10-calico.conflist", hand.dump(2));
  ASSERT_EQ(install().exit_code, 0);
  json plugins = plugins_of("10-calico.conflist");
  ASSERT_EQ(plugins.size(), 4u);
  EXPECT_EQ(plugins[1]["type"], "portmap");
  EXPECT_EQ(plugins[3]["type"], "tcpulse");
  ASSERT_EQ(run({"uninstall"}).exit_code, 0);
  EXPECT_EQ(plugins_of("10-calico.conflist"), json::parse(cni_config_shapes()[0].text)["plugins"]);
}

TEST_F(Installer, AFileEditedSinceInstallKeepsTheEditAndLosesOnlyTheEntry) {
  auto calico = cni_config_shapes()[0].text;
  spit(conf_dir() / "10-calico.conflist", calico);
  ASSERT_EQ(install().exit_code, 0);
  std::string edited = file_bytes(conf_dir() / "10-calico.conflist");
  edited.replace(edited.find("\"info\""), 6, "\"debug\"");
  spit(conf_dir() / "10-calico.conflist", edited);
  ASSERT_EQ(run({"uninstall"}).exit_code, 0);
  std::string expected = calico;
  expected.replace(expected.find("\"info\""), 6, "\"debug\"");
  EXPECT_EQ(file_bytes(conf_dir() / "10-calico.conflist"), expected);
}

TEST_F(Installer, BadInputIsOneLineNamingTheFileWithNothingWritten) {
  auto calico = cni_config_shapes()[0].text;
  struct Case {
    std::string label;
    std::map<std::string, std::string> files;
    std::vector<std::string> args;
    std::string needle;
  };
  std::string conf = conf_dir().string();
  std::vector<Case> cases = {
      {"malformed", {{"10-calico.conflist", calico.substr(0, 120)}}, {}, conf + "/10-calico.conflist: not valid JSON"},
      {"malformed before the valid one", {{"05-half.conflist", "{\"plugins\": ["}, {"10-calico.conflist", calico}}, {},
       conf + "/05-half.conflist: not valid JSON"},
      {"no config", {}, {}, conf + ": no CNI config"},
      {"only foreign files", {{"calico-kubeconfig", "apiVersion: v1"}}, {}, conf + ": no CNI config"},
      {"plugins not an array", {{"10-x.conflist", R"({"name":"x","cniVersion":"0.4.0","plugins":{"type":"bridge"}})"}}, {},
       conf + "/10-x.conflist: \"plugins\" is not an array"},
      {"plugins empty", {{"10-x.conflist", R"({"name":"x","cniVersion":"0.4.0","plugins":[]})"}}, {}, "\"plugins\" is empty"},
      {"a version that cannot chain", {{"10-x.conflist", R"({"name":"x","cniVersion":"0.2.0","plugins":[{"type":"bridge"}]})"}}, {},
       conf + "/10-x.conflist: cniVersion \"0.2.0\" cannot chain"},
      {"no such network", {{"10-calico.conflist", calico}}, {"--network", "nope"}, "no CNI config names network \"nope\""},
      {"config not an object", {{"10-calico.conflist", calico}}, {"--config", "[1]"}, "--config: not a JSON object"},
      {"config not JSON", {{"10-calico.conflist", calico}}, {"--config", "{"}, "--config: not valid JSON"},
      {"config sets another type", {{"10-calico.conflist", calico}}, {"--config", R"({"type":"x"})"}, "--config: \"type\""},
      {"unknown flag", {{"10-calico.conflist", calico}}, {"--frobnicate"}, "unknown flag \"--frobnicate\""},
      {"no plugin binary", {{"10-calico.conflist", calico}}, {"--plugin", "/nonexistent/tcpulse"},
       "/nonexistent/tcpulse: plugin binary not found"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    fs::remove_all(conf_dir());
    fs::create_directories(conf_dir());
    for (const auto& [name, text] : c.files) spit(conf_dir() / name, text);
    DirSnapshot before = snapshot();
    std::vector<std::string> args = {"install"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    expect_one_line_error(run(args), c.needle);
    EXPECT_EQ(snapshot(), before) << "something was written or left behind";
  }
  // A flag with no value, last on the line: the message names it.
  spit(conf_dir() / "10-calico.conflist", calico);
  DirSnapshot before = snapshot();
  auto r = run({"install", "--plugin", plugin_binary().string(), "--conf-dir"}, false);
  expect_one_line_error(r, "--conf-dir: missing value");
  EXPECT_EQ(r.exit_code, 2);
  expect_one_line_error(run({"frob"}, false), "unknown command \"frob\"");
  expect_one_line_error(run({}, false), "no command");
  EXPECT_EQ(snapshot(), before);
  auto help = run({"--help"}, false);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: tcpulse-install"), std::string::npos);
}

TEST_F(Installer, AReadOnlyConfDirIsAnErrorWithNothingLeftBehind) {
  if (::geteuid() != 0) GTEST_SKIP() << "SKIPPED: needs root for a read-only bind mount";
  spit(conf_dir() / "10-calico.conflist", cni_config_shapes()[0].text);
  ASSERT_EQ(::mount(conf_dir().c_str(), conf_dir().c_str(), nullptr, MS_BIND, nullptr), 0);
  ASSERT_EQ(::mount(nullptr, conf_dir().c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr), 0);
  DirSnapshot before = snapshot();
  auto r = install();
  ::umount2(conf_dir().c_str(), MNT_DETACH);
  expect_one_line_error(r, conf_dir().string());
  EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
  EXPECT_EQ(snapshot(), before);  // the binary is not copied either
}

}  // namespace
}  // namespace tcpulse::test
