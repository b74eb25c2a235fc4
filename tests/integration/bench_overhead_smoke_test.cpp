// hack/bench-overhead.sh --smoke: the overhead benchmark end to end in a few seconds (one round,
// bulk and a connection per request), so that the suite notices when it breaks: every
// configuration measured under each load, `none` its own reference (ratio 1), figures that are
// numbers, and nothing of it left running or mounted.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "tests/support/agent_process.h"
#include "tests/support/command.h"
#include "tests/support/file_bytes.h"
#include "tests/support/privileges.h"

namespace tcpulse::test {
namespace {

namespace fs = std::filesystem;

TEST(BenchOverhead, SmokeRunMeasuresEveryConfigurationAgainstNoMonitoring) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  char tmpl[] = "/tmp/tcpulse-bench-XXXXXX";
  fs::path out = mkdtemp(tmpl);
  auto r = run_command({(source_dir() / "hack/bench-overhead.sh").string(), "--smoke", "--out", out.string()});
  std::string summary = file_bytes(out / "summary.txt");
  std::string results = file_bytes(out / "results.tsv");
  fs::remove_all(out);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::printf("%s", summary.c_str());
  EXPECT_EQ(summary.find("nan"), std::string::npos) << summary;
  EXPECT_EQ(summary.find("inf"), std::string::npos) << summary;
  // 5 configurations x 2 loads, each with a throughput or a request count.
  std::istringstream rows(results);
  int measured = 0;
  for (std::string line; std::getline(rows, line);) {
    std::vector<std::string> f;
    std::istringstream cols(line);
    for (std::string c; std::getline(cols, c, '\t');) f.push_back(c);
    ASSERT_EQ(f.size(), 12u) << line;
    if (f[2] == "bulk") {
      EXPECT_GT(std::stod(f[3]), 1e8) << line;  // over 100 Mbit/s
    }
    if (f[2] == "crr") {
      EXPECT_GT(std::stod(f[5]), 100) << line;  // over 100 connections
    }
    ++measured;
  }
  EXPECT_EQ(measured, 10);
  for (const char* load : {"-- bulk", "-- crr"}) {
    auto at = summary.find(load);
    ASSERT_NE(at, std::string::npos) << summary;
    std::string block = summary.substr(at, summary.find("\n\n", at) - at);
    for (const char* cfg : {"none", "tcpulse", "tcpdump", "ss", "datapath"})
      EXPECT_TRUE(std::regex_search(block, std::regex(std::string("\\n   ") + cfg + " +[0-9.]+ +[0-9.]+"))) << cfg << "\n"
                                                                                                        << block;
    EXPECT_TRUE(std::regex_search(block, std::regex(R"(\n   none +[0-9.]+ +1\.000 )"))) << block;
  }
  // Its pods, bridge and agent are gone.
  EXPECT_EQ(run_command({"sh", "-c", "ip netns list | grep -c tcpulse-overhead-"}).out, "0\n");
  EXPECT_FALSE(std::regex_search(run_command({"ls", "/sys/fs/bpf"}).out, std::regex("tcpulse-overhead-")));
}

}  // namespace
}  // namespace tcpulse::test
