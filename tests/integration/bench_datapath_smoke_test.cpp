// hack/bench-datapath.sh --xdp and hack/bench-ab.sh, end to end in a few seconds each (one round
// of one second), so that the suite notices when they break: every configuration measured under
// each load, figures that are numbers, and nothing of them left behind. No figure is held to a
// speed: the one property checked is a count (XDP sees every wire segment of a bulk transfer, tcx
// one GSO or GRO packet of many).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <regex>
#include <sstream>

#include "tests/support/agent_process.h"
#include "tests/support/command.h"
#include "tests/support/privileges.h"

namespace tcpulse::test {
namespace {

// The rows of a medians table: the first `keys` columns joined by ' ' -> the numbers after them.
std::map<std::string, std::vector<double>> table_rows(const std::string& text, const std::string& after,
                                                      int keys) {
  std::map<std::string, std::vector<double>> rows;
  auto at = text.find(after);
  if (at == std::string::npos) return rows;
  std::istringstream lines(text.substr(at));
  std::string line;
  std::getline(lines, line);  // the heading
  std::getline(lines, line);  // the columns' names
  while (std::getline(lines, line) && line.rfind("   ", 0) == 0) {
    std::istringstream cols(line);
    std::string key, word;
    for (int i = 0; i < keys && cols >> word; i++) key += (i ? " " : "") + word;
    std::vector<double> values;
    while (cols >> word) {
      if (!word.empty() && word.back() == '%') word.pop_back();
      try {
        values.push_back(word == "-" ? -1 : std::stod(word));
      } catch (const std::exception&) {
        break;
      }
    }
    if (values.empty()) break;  // a footnote, not a row
    rows[key] = values;
  }
  return rows;
}

void expect_nothing_left(const std::string& prefix) {
  EXPECT_EQ(run_command({"sh", "-c", "ip netns list | grep -c " + prefix}).out, "0\n");
  EXPECT_EQ(run_command({"sh", "-c", "ls /sys/fs/bpf | grep -c " + prefix}).out, "0\n");
}

TEST(BenchDatapath, XdpSmokeRunMeasuresEveryHookAndConfiguration) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  auto r = run_command({(source_dir() / "hack/bench-datapath.sh").string(), "--xdp", "1", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::printf("%s", r.out.substr(r.out.find("== medians")).c_str());
  EXPECT_EQ(r.out.find("nan"), std::string::npos) << r.out;
  auto rows = table_rows(r.out, "== medians", 3);
  ASSERT_EQ(rows.size(), 16u) << r.out;  // pod and uplink, bulk and rr, 4 configurations
  for (const char* hook : {"pod", "uplink"})
    for (const char* load : {"bulk", "rr"})
      for (const char* config : {"none", "xfloor", "tcx", "xdp"}) {
        std::string key = std::string(hook) + " " + load + " " + config;
        ASSERT_TRUE(rows.count(key)) << key << "\n" << r.out;
        const auto& v = rows[key];
        ASSERT_GE(v.size(), 4u) << key;
        EXPECT_GT(v[0], 0) << key;  // a rate
        if (std::string(config) != "none") {
          EXPECT_GT(v[2], 0) << key << ": the program watching that direction never ran";
          EXPECT_GT(v[3], 0) << key;
        }
      }
  for (const char* hook : {"pod", "uplink"})
    EXPECT_GT(rows[std::string(hook) + " bulk xdp"][2], 5 * rows[std::string(hook) + " bulk tcx"][2])
        << "XDP should run once per wire segment, tcx once per GSO/GRO packet";
  expect_nothing_left("tcpulse-benchx-");
  expect_nothing_left("tcpulse-bxr-");
  EXPECT_EQ(run_command({"sh", "-c", "ls /sys/fs/cgroup/unified | grep -c tcpulse-bench-"}).out, "0\n");
}

TEST(BenchAb, SmokeRunComparesTwoBuildsOnTheSamePackets) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  auto r = run_command({(source_dir() / "hack/bench-ab.sh").string(), "HEAD", "1", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::printf("%s", r.out.substr(r.out.find("== medians")).c_str());
  auto rows = table_rows(r.out, "== medians", 2);
  ASSERT_EQ(rows.size(), 4u) << r.out;  // bulk and rr, each order
  for (const auto& [key, v] : rows) {
    ASSERT_EQ(v.size(), 6u) << key;
    for (double x : v) EXPECT_FALSE(std::isnan(x)) << key;
  }
  expect_nothing_left("tcpulse-ab-");
}

}  // namespace
}  // namespace tcpulse::test
