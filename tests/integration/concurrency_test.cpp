// ADD and DEL of many pods at once, as a runtime does them: 200 pods, 16 in flight, real bridge +
// host-local before tcpulse. Nothing may be half-attached, and afterwards nothing may be left.
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/datapath_maps.h"
#include "tc-bpf/lib/tc_attach.h"
#include "tests/support/test_pins.h"
#include "tests/support/agent_process.h"
#include "tests/support/eventually.h"
#include "tests/support/privileges.h"
#include "tests/support/test_node.h"

namespace tcpulse::test {
namespace {

using json = nlohmann::json;

constexpr int kPods = 200;
constexpr int kInFlight = 16;

std::filesystem::path pin_dir() { return test_pin_dir("conc"); }


// Runs fn(i) for i in [0, n) on kInFlight threads.
void in_parallel(int n, const std::function<void(int)>& fn) {
  std::atomic<int> next{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kInFlight; w++)
    workers.emplace_back([&] {
      for (int i; (i = next++) < n;) fn(i);
    });
  for (auto& t : workers) t.join();
}

TEST(Concurrency, TwoHundredPodsSixteenInFlightLeaveNothingBehind) {
  TCPULSE_SKIP_UNLESS(node_unavailable());
  PinLayout layout(pin_dir());
  AgentProcess agent(pin_dir());
  agent.wait_ready();
  std::atomic<int> failures{0};
  {
    TestNode node(pin_dir());
    // op on pods p0..p{kPods-1} at once; an exception is a failure, counted.
    auto on_every_pod = [&](const std::function<void(const std::string&)>& op) {
      in_parallel(kPods, [&](int i) {
        try {
          op("p" + std::to_string(i));
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
          failures++;
        }
      });
    };
    on_every_pod([&](const std::string& pod) { node.add_pod(pod); });
    ASSERT_EQ(failures, 0);
    auto pods = json::parse(agent.get("/pods"));
    EXPECT_EQ(pods.size(), static_cast<size_t>(kPods));
    std::set<int> ifindexes;
    for (const auto& p : pods) ifindexes.insert(p["host_ifindex"].get<int>());
    EXPECT_EQ(ifindexes.size(), static_cast<size_t>(kPods));  // every pod on its own veth
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(layout.links_dir()),
                            std::filesystem::directory_iterator()),
              2 * kPods);

    on_every_pod([&](const std::string& pod) { node.del_pod(pod); });
    EXPECT_EQ(failures, 0);
  }

  EXPECT_TRUE(json::parse(agent.get("/pods")).empty());
  EXPECT_TRUE(std::filesystem::is_empty(layout.links_dir()));
  auto maps = DatapathMaps::open(layout);
  ASSERT_TRUE(maps) << maps.error().describe();
  size_t pod_records = 0;
  ASSERT_TRUE(maps->pods.for_each([&](const __u32&, const tcpulse_pod_info&) { pod_records++; }));
  EXPECT_EQ(pod_records, 0u);
  // A packet racing a link's release may recreate a per-pod counter after DEL erased it; the
  // agent's reconciliation (every second here) sweeps such orphans.
  auto counters = [&] {
    size_t n = 0;
    (void)maps->pod_stats.for_each(
        [&](const __u32&, const std::vector<tcpulse_pod_stats>&) { n++; });
    return n;
  };
  // Likewise the pods' slot copies: freed once no live pod can use them.
  auto owned_slot_copies = [&] {
    size_t n = 0;
    (void)maps->pod_slots.for_each([&](const __u32&, const std::vector<tcpulse_pod_slot>& copies) {
      for (const auto& copy : copies) n += copy.ifindex != 0;
    });
    return n;
  };
  EXPECT_TRUE(eventually([&] { return counters() == 0 && owned_slot_copies() == 0; }, 3))
      << agent.log();
  auto pending = state_dir_for(pin_dir()) / "pending";
  EXPECT_TRUE(!std::filesystem::exists(pending) || std::filesystem::is_empty(pending));

  EXPECT_EQ(agent.stop(), 0);
  EXPECT_FALSE(std::filesystem::exists(pin_dir()));
  std::error_code ec;
  std::filesystem::remove_all(state_dir_for(pin_dir()), ec);
}

}  // namespace
}  // namespace tcpulse::test
