// FlowKey: a flow's identity whichever table holds it, and its forms in each: the overflow hashes' keys
// (tcpulse_flow4_key, tcpulse_flow6_key) and the flow table's key words and hash.
#pragma once

#include <array>
#include <cstdint>

#include "tcpulse/abi.h"

namespace tcpulse {

// An IPv4 address uses the first 4 bytes of its array.
struct FlowKey {
  uint32_t ifindex = 0;   // host-side veth
  uint8_t family = 0;     // TCPULSE_AF_INET or TCPULSE_AF_INET6
  uint16_t local_port = 0;  // network byte order, like the map keys
  uint16_t remote_port = 0;
  uint8_t local_addr[16] = {};
  uint8_t remote_addr[16] = {};

  bool operator==(const FlowKey&) const = default;
};

FlowKey to_flow_key(const tcpulse_flow4_key& k);
FlowKey to_flow_key(const tcpulse_flow6_key& k);
tcpulse_flow4_key to_flow4_key(const FlowKey& key);
tcpulse_flow6_key to_flow6_key(const FlowKey& key);

// The key as the flow table stores it: its family's map key in 8-byte words, the rest zero.
using FlowKeyWords = std::array<__u64, 5>;
FlowKeyWords to_key_words(const FlowKey& key);
FlowKey from_key_words(const FlowKeyWords& words, bool v6);

// The datapath's hash of the key (tcpulse_flow_hash2/5), which places it in the flow table.
uint64_t flow_hash(const FlowKey& key);

}  // namespace tcpulse
