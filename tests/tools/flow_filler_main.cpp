// flow-filler PIN_DIR PODS FLOWS: stages a node of PODS pods with FLOWS established connections
// in a running agent's datapath, through the ABI (pod records, their accounts, flows in the flow
// table's slots and, for collisions, its overflow hash), without any packet: the agent's benchmark
// (hack/bench-agent.sh) measures collections, scrapes and memory at a size no test node reaches.
// The pods are on made-up ifindexes: run the agent with a long --reconcile-interval, since
// reconciliation collects records whose veth does not exist.
#include <arpa/inet.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>

#include "agent/datapath_maps.h"
#include "tc-bpf/lib/flow_key.h"
#include "tc-bpf/lib/pod_ledger.h"
#include "tc-bpf/lib/pod_record.h"

using namespace tcpulse;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: flow-filler PIN_DIR PODS FLOWS\n");
    return 2;
  }
  PinLayout layout(argv[1]);
  int pods = std::stoi(argv[2]), flows = std::stoi(argv[3]);
  auto maps = DatapathMaps::open(layout);
  if (!maps) {
    std::fprintf(stderr, "flow-filler: %s\n", maps.error().describe().c_str());
    return 1;
  }
  constexpr uint32_t kFirstIfindex = 1'000'000;
  uint64_t now = coarse_monotonic_ns();
  for (int p = 0; p < pods; p++) {
    PodRecord r;
    r.pod_namespace = "bench-" + std::to_string(p % 10);
    r.pod_name = "pod-" + std::to_string(p);
    r.pod_uid = "uid-" + std::to_string(p);
    r.container_id = "c" + std::to_string(p);
    r.ifname = "eth0";
    r.network = "bench";
    r.ips = {"10.100." + std::to_string(p / 250) + "." + std::to_string(p % 250 + 1)};
    uint32_t ifindex = kFirstIfindex + p;
    tcpulse_pod_account account{};
    account.attached_ns = now - 1'000'000'000ULL;
    if (!maps->accounts.put(ifindex, account) || !maps->pods.put(ifindex, r.to_abi())) {
      std::fprintf(stderr, "flow-filler: cannot write pod %d\n", p);
      return 1;
    }
  }
  int in_slots = 0, in_hash = 0, lost = 0;
  for (int i = 0; i < flows; i++) {
    int p = i % pods;
    FlowKey key;
    key.ifindex = kFirstIfindex + p;
    key.family = TCPULSE_AF_INET;
    key.local_port = htons(static_cast<uint16_t>(10000 + i / pods % 50000));
    key.remote_port = htons(443);
    uint8_t local[4] = {10, 100, static_cast<uint8_t>(p / 250), static_cast<uint8_t>(p % 250 + 1)};
    uint8_t remote[4] = {172, 16, static_cast<uint8_t>(i % 200), static_cast<uint8_t>(i / 200 % 250 + 1)};
    memcpy(key.local_addr, local, 4);
    memcpy(key.remote_addr, remote, 4);
    tcpulse_flow_stats stats{};
    stats.first_seen_ns = now;
    stats.role = TCPULSE_FLOW_ROLE_CLIENT;
    stats.state = TCPULSE_CONN_ESTABLISHED;
    stats.egress.packets = 10 + i % 1000;
    stats.egress.bytes = stats.egress.packets * 1000;
    stats.ingress.packets = 5 + i % 500;
    stats.ingress.bytes = stats.ingress.packets * 60;
    stats.egress.events.last_seen_ns = now;
    stats.rtt_count = 3;
    stats.rtt_sum_ns = 300'000;
    stats.rtt_min_ns = 90'000;
    stats.rtt_max_ns = 110'000;
    tcpulse_flow_slot& slot = maps->flows.slots.slot_of(key);
    if (std::atomic_ref<__u64>(slot.tag).load() == TCPULSE_SLOT_FREE) {
      auto words = to_key_words(key);
      memcpy(slot.key, words.data(), sizeof(slot.key));
      slot.stats = stats;
      std::atomic_ref<__u64>(slot.tag).store(tcpulse_flow_tag(flow_hash(key), 0),
                                             std::memory_order_release);
      in_slots++;
    } else if (maps->flows.v4.put(to_flow4_key(key), stats)) {
      in_hash++;
    } else {
      lost++;
    }
  }
  std::printf("pods %d flows %d (slots %d, overflow hash %d, no room %d)\n", pods,
              in_slots + in_hash, in_slots, in_hash, lost);
  return lost ? 1 : 0;
}
