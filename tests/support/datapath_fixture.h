// The bpf tier's fixture: skips (saying why) without root and bpffs, loads the test datapath with
// private maps, and runs packets through it. DatapathFixture reads headers in place;
// ParamDatapathFixture runs each case twice, in place and from copies (the test's parameter).
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "tests/support/datapath_under_test.h"
#include "tests/support/privileges.h"

namespace tcpulse::test {

class DatapathFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    TCPULSE_SKIP_UNLESS(bpf_unavailable());
    reload();
  }
  // A fresh datapath, with other tunables if given.
  void reload(const std::optional<tcpulse_datapath_config>& config = std::nullopt) {
    dut_.emplace(access(), config);
    ASSERT_TRUE(dut_->loaded());
  }
  virtual HeaderAccess access() const { return HeaderAccess::kInPlace; }

  int run(int direction, const std::vector<uint8_t>& frame, uint32_t gso_segs = 0) {
    return dut_->run(direction, frame, gso_segs);
  }
  std::optional<tcpulse_flow_stats> flow(const FlowKey& k) { return dut_->flow(k); }
  size_t flow_count() { return dut_->flow_count(); }
  tcpulse_pod_stats pod() { return dut_->pod(); }
  uint64_t errors(int reason) { return dut_->errors(reason); }
  void set_time(uint64_t ns) { dut_->set_time(ns); }

  std::optional<DatapathUnderTest> dut_;
};

class ParamDatapathFixture : public DatapathFixture,
                             public ::testing::WithParamInterface<HeaderAccess> {
 protected:
  HeaderAccess access() const override { return GetParam(); }
};

}  // namespace tcpulse::test
