// The chart's alert rules: promtool accepts them (expressions and annotation templates), and
// promtool's unit tests (tests/chart/alerts_test.yaml, synthetic series) show each alert firing
// for the series over its threshold once its `for` has passed, and silent otherwise.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/support/agent_process.h"
#include "tests/support/alert_rules.h"
#include "tests/support/chart_renderer.h"
#include "tests/support/command.h"
#include "tests/support/prometheus_server.h"

namespace tcpulse::test {
namespace {

namespace fs = std::filesystem;

class AlertRules : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!render_chart_available()) GTEST_SKIP() << "SKIPPED: no chart renderer (needs golang-go; hack/deps.sh)";
    if (!fs::exists(kPromtoolBinary)) GTEST_SKIP() << "SKIPPED: no promtool (Debian's prometheus; hack/deps.sh)";
    char tmpl[] = "/tmp/tcpulse-rules-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(AlertRules, PromtoolAcceptsThemAndTheyFireExactlyWhenTheyShould) {
  auto spec = rendered_alert_rules();
  size_t rules = 0;
  for (const auto& g : spec["groups"]) rules += g["rules"].size();
  EXPECT_EQ(rules, 7u);
  write_rules_file(spec, dir_ / "full.yaml", false);
  auto check = run_command({kPromtoolBinary, "check", "rules", (dir_ / "full.yaml").string()});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_NE(check.out.find("SUCCESS: 7 rules found"), std::string::npos) << check.out;

  write_rules_file(spec, dir_ / "rules.yaml", true);
  fs::copy_file(source_dir() / "tests/chart/alerts_test.yaml", dir_ / "alerts_test.yaml");
  auto test = run_command({kPromtoolBinary, "test", "rules", (dir_ / "alerts_test.yaml").string()});
  EXPECT_EQ(test.exit_code, 0) << test.out << test.err;
  EXPECT_NE(test.out.find("SUCCESS"), std::string::npos) << test.out;
}

TEST_F(AlertRules, ThresholdsComeFromValues) {
  auto chart = render_chart({"--set", "prometheusRule.enabled=true", "--set", "prometheusRule.rttP99Seconds=0.05",
                             "--set-string", "prometheusRule.agentUpSelector=job=\"kubernetes-pods\""});
  ASSERT_EQ(chart.exit_code, 0) << chart.error;
  std::string all = chart.get("PrometheusRule")["spec"].dump();
  EXPECT_NE(all.find("rate(tcpulse_tcp_rtt_seconds_bucket[5m]))) > 0.05"), std::string::npos) << all;
  EXPECT_NE(all.find(R"(up{job=\"kubernetes-pods\"} == 0)"), std::string::npos) << all;
  EXPECT_EQ(without_threshold("a > 0.05 and b > 10 or c == 0 and d < bool 1e-3"), "a >= 0 and b >= 0 or c >= 0 and d >= 0");
}

}  // namespace
}  // namespace tcpulse::test
