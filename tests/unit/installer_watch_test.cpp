// tcpulse-install watch: the primary CNI rewriting its config (atomically, as Calico's installer
// does, or in place, as `cp` does) is re-chained at once; the watcher does not write when nothing
// is missing, does not fight a writer in a loop, waits for a config that does not exist yet, and
// with --uninstall-on-exit leaves the dir byte for byte as it found it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/agent_process.h"
#include "tests/support/file_bytes.h"
#include "tests/support/child_process.h"
#include "tests/support/cni_config_shapes.h"
#include "tests/support/command.h"
#include "tests/support/eventually.h"

namespace tcpulse::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Rewrites a file the way Calico's installer does: a new file renamed over the old one.
void rewrite_atomically(const fs::path& p, const std::string& bytes) {
  fs::path tmp = p.parent_path() / ("calico-tmp-" + p.filename().string() + ".tmp");
  std::ofstream(tmp, std::ios::binary) << bytes;
  fs::rename(tmp, p);
}

// In place, the way `cp` does: truncate, then write.
void rewrite_in_place(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

bool chained(const fs::path& p) {
  try {
    auto plugins = json::parse(file_bytes(p))["plugins"];
    return plugins.back()["type"] == "tcpulse";
  } catch (const json::exception&) {
    return false;
  }
}

ino_t inode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_ino;
}

class InstallerWatch : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tcpulse-watch-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directories(conf_dir());
  }
  void TearDown() override {
    if (pid_ > 0) stop_child(pid_);
    fs::remove_all(dir_);
  }
  fs::path conf_dir() const { return dir_ / "net.d"; }
  std::string log() const { return file_bytes(dir_ / "watch.log"); }

  void start(bool uninstall_on_exit = true) {
    int log_fd = ::open((dir_ / "watch.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ChildOptions o;
    o.stdout_fd = o.stderr_fd = log_fd;
    std::vector<std::string> argv = {installer_binary().string(), "watch", "--conf-dir", conf_dir().string(),
                                     "--bin-dir", (dir_ / "bin").string(), "--plugin", plugin_binary().string()};
    if (uninstall_on_exit) argv.push_back("--uninstall-on-exit");
    pid_ = spawn_child(argv, o);
    ::close(log_fd);
  }
  int stop() {
    int status = stop_child(pid_);
    pid_ = -1;
    return status;
  }
  // Seconds until the file is chained again (the deadline is generous; the log has the figure).
  double seconds_until_chained(const fs::path& p) {
    auto t0 = Clock::now();
    EXPECT_TRUE(eventually([&] { return chained(p); }, 10)) << log();
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }

  fs::path dir_;
  pid_t pid_ = -1;
};

TEST_F(InstallerWatch, ARewrittenConfigIsChainedAgainAndLeftAloneOnceItIs) {
  auto calico = cni_config_shapes()[0].text;
  fs::path file = conf_dir() / "10-calico.conflist";
  std::ofstream(file, std::ios::binary) << calico;
  start();
  seconds_until_chained(file);

  rewrite_atomically(file, calico);
  double atomic_s = seconds_until_chained(file);
  std::string calico_v2 = calico;  // the primary's new version, as its upgrade would write it
  calico_v2.replace(calico_v2.find("\"mtu\": 0"), 8, "\"mtu\": 1450");
  rewrite_in_place(file, calico_v2);
  double in_place_s = seconds_until_chained(file);
  std::printf("re-chained %.3f s after an atomic rewrite, %.3f s after an in-place one\n", atomic_s, in_place_s);
  EXPECT_LT(atomic_s, 1.0);
  EXPECT_LT(in_place_s, 1.0);

  // Chained: no further write (the same inode for a while), however long it watches.
  ino_t inode = inode_of(file);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(inode_of(file), inode);
  EXPECT_NE(log().find("re-insertion 2 on this node"), std::string::npos) << log();
  auto status = run_command({installer_binary().string(), "status", "--conf-dir", conf_dir().string(), "--bin-dir",
                             (dir_ / "bin").string()});
  EXPECT_EQ(status.exit_code, 0) << status.out;
  EXPECT_NE(status.out.find("re-insertions: 2"), std::string::npos) << status.out;

  // SIGTERM with --uninstall-on-exit: the primary's latest bytes come back.
  EXPECT_EQ(stop(), 0) << log();
  EXPECT_EQ(file_bytes(file), calico_v2);
  EXPECT_FALSE(fs::exists(dir_ / "bin/tcpulse"));
  EXPECT_FALSE(fs::exists(conf_dir() / ".tcpulse"));
}

TEST_F(InstallerWatch, AWriterThatKeepsRemovingTheEntryIsNotFoughtInALoop) {
  auto calico = cni_config_shapes()[0].text;
  fs::path file = conf_dir() / "10-calico.conflist";
  std::ofstream(file, std::ios::binary) << calico;
  start();
  seconds_until_chained(file);
  // A hostile writer undoes every change it sees, 40 times over 4 s.
  int undone = 0;
  for (int i = 0; i < 40; ++i) {
    if (chained(file)) {
      rewrite_atomically(file, calico);
      ++undone;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::printf("the writer undid %d re-insertions in 4 s\n", undone);
  EXPECT_LE(undone, 7);  // at most six writes a minute (one of them the first install)
  EXPECT_GE(undone, 3);
  EXPECT_NE(log().find("another writer keeps removing tcpulse"), std::string::npos) << log();
  EXPECT_EQ(stop(), 0);
  EXPECT_EQ(file_bytes(file), calico);
}

TEST_F(InstallerWatch, WaitsForTheFirstConfigAndReWrapsAConfTheRuntimeRewrote) {
  start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_NE(log().find("no CNI config"), std::string::npos) << log();
  std::string bridge = R"({"cniVersion":"1.0.0","name":"mynet","type":"bridge","bridge":"cni0"})";
  rewrite_atomically(conf_dir() / "10-bridge.conf", bridge);
  fs::path list = conf_dir() / "10-bridge.conflist";
  seconds_until_chained(list);
  EXPECT_FALSE(fs::exists(conf_dir() / "10-bridge.conf"));

  // The primary writes its .conf again (a new version): wrapped again, and that is what comes back.
  std::string bridge_v2 = R"({"cniVersion":"1.0.0","name":"mynet","type":"bridge","bridge":"cni1"})";
  rewrite_atomically(conf_dir() / "10-bridge.conf", bridge_v2);
  EXPECT_TRUE(eventually([&] { return !fs::exists(conf_dir() / "10-bridge.conf"); }, 10)) << log();
  EXPECT_EQ(json::parse(file_bytes(list))["plugins"][0]["bridge"], "cni1");
  EXPECT_EQ(stop(), 0) << log();
  EXPECT_EQ(file_bytes(conf_dir() / "10-bridge.conf"), bridge_v2);
  EXPECT_FALSE(fs::exists(list));
}

TEST_F(InstallerWatch, WithoutUninstallOnExitTheChainStays) {
  fs::path file = conf_dir() / "10-calico.conflist";
  std::ofstream(file, std::ios::binary) << cni_config_shapes()[0].text;
  start(false);
  seconds_until_chained(file);
  EXPECT_EQ(stop(), 0);
  EXPECT_TRUE(chained(file));
  EXPECT_TRUE(fs::exists(dir_ / "bin/tcpulse"));
}

}  // namespace
}  // namespace tcpulse::test
