// DatapathUnderTest: the test build of the datapath (mock clock), loaded with private maps (never
// pinned), and driven with BPF_PROG_TEST_RUN. Shared by the bpf test tier.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/datapath_maps.h"
#include "tc-bpf/lib/pod_ledger.h"
#include "tcpulse/abi.h"

struct tcpulse_test_bpf;

namespace tcpulse::test {

// BPF_PROG_TEST_RUN runs tc programs on loopback unless told otherwise.
inline constexpr uint32_t kTestIfindex = 1;

// How the programs read packet headers: in place (what every packet a pod's TCP stack sends
// takes), or from copies (the path for headers outside the skb's linear area, which
// BPF_PROG_TEST_RUN skbs never have, so tests force it).
enum class HeaderAccess { kInPlace, kCopied };
std::string to_string(HeaderAccess access);

class DatapathUnderTest {
 public:
  // Loads, with the datapath's default tunables unless given others; check loaded() (GTest
  // assertions report why not).
  explicit DatapathUnderTest(HeaderAccess access = HeaderAccess::kInPlace,
                             const std::optional<tcpulse_datapath_config>& config = std::nullopt);
  ~DatapathUnderTest();
  DatapathUnderTest(const DatapathUnderTest&) = delete;
  DatapathUnderTest& operator=(const DatapathUnderTest&) = delete;
  bool loaded() const { return skel_ != nullptr; }

  // Runs one frame through the program that sees `direction` (pod's view) and returns its
  // verdict; expects the packet to come out unchanged. gso_segs > 0 makes it a GSO skb.
  int run(int direction, const std::vector<uint8_t>& frame, uint32_t gso_segs = 0);
  void set_time(uint64_t ns);
  int prog_fd(int direction) const;  // the program that sees `direction` (pod's view)
  // Runs one frame `repeat` times in a single BPF_PROG_TEST_RUN, on the calling thread's CPU.
  // Safe to call from several threads at once.
  void run_repeated(int direction, const std::vector<uint8_t>& frame, uint32_t repeat);

  std::optional<tcpulse_flow_stats> flow(const FlowKey& key) const;
  FlowTables flow_tables() const;  // the slot array and both overflow hashes, own fds
  size_t flow_count() const;
  // The pod's totals as the agent reads them: tcpulse_podstat, its slot copies and its flows
  // (no bases, no former pods).
  tcpulse_pod_stats pod(uint32_t ifindex = kTestIfindex) const;
  tcpulse_pod_stats pod_events(uint32_t ifindex = kTestIfindex) const;  // tcpulse_podstat only
  std::vector<tcpulse_pod_slot> slot_copies(uint32_t ifindex = kTestIfindex) const;  // per CPU
  void set_slot_owner(uint32_t slot_of, uint32_t owner);  // every CPU's copy of slot_of's slot
  uint64_t errors(int reason) const;                              // summed over CPUs
  uint64_t copied_packets() const;  // packets the copying parser read

 private:
  tcpulse_test_bpf* skel_ = nullptr;
};

// A TCP flow key for the test ifindex, the pod's end first.
FlowKey tcp_flow_key(bool v6, const std::string& local, uint16_t local_port,
                              const std::string& remote, uint16_t remote_port);

}  // namespace tcpulse::test
