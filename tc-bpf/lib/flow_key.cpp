#include "tc-bpf/lib/flow_key.h"

#include <cstring>

namespace tcpulse {

namespace {

template <typename MapKey>
FlowKey from_map_key(const MapKey& k, uint8_t family) {
  FlowKey key;
  key.ifindex = k.ifindex;
  key.family = family;
  key.local_port = k.local_port;
  key.remote_port = k.remote_port;
  memcpy(key.local_addr, k.local_addr, sizeof(k.local_addr));
  memcpy(key.remote_addr, k.remote_addr, sizeof(k.remote_addr));
  return key;
}

template <typename MapKey>
MapKey to_map_key(const FlowKey& key) {
  MapKey k{};
  k.ifindex = key.ifindex;
  k.local_port = key.local_port;
  k.remote_port = key.remote_port;
  memcpy(k.local_addr, key.local_addr, sizeof(k.local_addr));
  memcpy(k.remote_addr, key.remote_addr, sizeof(k.remote_addr));
  return k;
}

}  // namespace

FlowKey to_flow_key(const tcpulse_flow4_key& k) { return from_map_key(k, TCPULSE_AF_INET); }
FlowKey to_flow_key(const tcpulse_flow6_key& k) { return from_map_key(k, TCPULSE_AF_INET6); }
tcpulse_flow4_key to_flow4_key(const FlowKey& key) { return to_map_key<tcpulse_flow4_key>(key); }
tcpulse_flow6_key to_flow6_key(const FlowKey& key) { return to_map_key<tcpulse_flow6_key>(key); }

FlowKeyWords to_key_words(const FlowKey& key) {
  FlowKeyWords words{};
  if (key.family == TCPULSE_AF_INET6) {
    auto k = to_flow6_key(key);
    static_assert(sizeof(k) == sizeof(words));
    memcpy(words.data(), &k, sizeof(k));
  } else {
    auto k = to_flow4_key(key);
    memcpy(words.data(), &k, sizeof(k));
  }
  return words;
}

FlowKey from_key_words(const FlowKeyWords& words, bool v6) {
  if (v6) {
    tcpulse_flow6_key k;
    memcpy(&k, words.data(), sizeof(k));
    return to_flow_key(k);
  }
  tcpulse_flow4_key k;
  memcpy(&k, words.data(), sizeof(k));
  return to_flow_key(k);
}

uint64_t flow_hash(const FlowKey& key) {
  FlowKeyWords w = to_key_words(key);
  if (key.family == TCPULSE_AF_INET6) return tcpulse_flow_hash5(w.data());
  return tcpulse_flow_hash2(w[0], w[1]);
}

}  // namespace tcpulse
