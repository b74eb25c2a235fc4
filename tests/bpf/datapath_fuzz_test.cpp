// Random and mutated packets through both datapath programs with BPF_PROG_TEST_RUN: truncated
// headers, bad IHL and data offsets, option soup, IPv6 extension chains, garbage. Every run must
// pass the packet on unchanged; afterwards the maps must be consistent (every slot's tag is its
// key's, no flow in two places, only this pod's ifindex) and every packet the parser took must be
// counted exactly once in its pod, the rest counted as errors. Then classes of known-bad packets,
// each with the exact error it must count. TCPULSE_BPF_FUZZ_PACKETS sets the count (hack/fuzz.sh).
#include <bpf/bpf.h>
#include <gtest/gtest.h>
#include <linux/pkt_cls.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <random>
#include <set>

#include "tests/support/datapath_under_test.h"
#include "tests/support/packet_builder.h"
#include "tests/support/privileges.h"

namespace tcpulse::test {
namespace {

constexpr uint8_t kTcp = 6;

size_t packet_count() {
  const char* env = std::getenv("TCPULSE_BPF_FUZZ_PACKETS");
  return env ? std::strtoull(env, nullptr, 10) : 1'000'000;
}

// A few valid frames to mutate: handshakes, data with options, both families, UDP, ARP, and
// IPv6 with an extension-header chain in front of TCP.
std::vector<std::vector<uint8_t>> seed_frames(std::mt19937_64& rng) {
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 0; i < 16; i++) {
    uint16_t sport = static_cast<uint16_t>(1024 + rng() % 60000), dport = i % 2 ? 80 : 443;
    seeds.push_back(PacketBuilder().ipv4("10.1.0.5", "10.2.0." + std::to_string(i)).tcp(sport, dport)
                        .syn().tcp_options({2, 4, 5, 0xb4, 4, 2}).timestamps(100 + i, 0)
                        .window_scale(7).build());
    seeds.push_back(PacketBuilder().ipv4("10.2.0." + std::to_string(i), "10.1.0.5").tcp(dport, sport)
                        .syn().ack(1).timestamps(900, 100 + i).build());
    seeds.push_back(PacketBuilder().ipv4("10.1.0.5", "10.2.0." + std::to_string(i)).tcp(sport, dport)
                        .ack(1).seq(1 + i * 1000).timestamps(200 + i, 900).payload(rng() % 1400).build());
    seeds.push_back(PacketBuilder().ipv6("fd00::5", "fd00::" + std::to_string(i + 10)).tcp(sport, dport)
                        .ack(1).payload(rng() % 1200).build());
  }
  seeds.push_back(PacketBuilder().ipv4("10.1.0.5", "10.2.0.1").udp(53, 5353).payload(40).build());
  seeds.push_back(PacketBuilder().ipv4("10.1.0.5", "10.2.0.1").tcp(1, 2).fin().ack(5).build());
  seeds.push_back(PacketBuilder().ipv4("10.1.0.5", "10.2.0.1").tcp(1, 2).rst().build());
  seeds.push_back(arp_frame());
  // IPv6: hop-by-hop (8 bytes), routing (8), fragment (8), then TCP.
  auto v6 = PacketBuilder().ipv6("fd00::5", "fd00::9").tcp(4000, 80).ack(1).payload(20).build();
  std::vector<uint8_t> ext = {43, 0, 0, 0, 0, 0, 0, 0,   // hop-by-hop -> routing
                              44, 0, 0, 0, 0, 0, 0, 0,   // routing -> fragment
                              kTcp, 0, 0, 0, 0, 0, 0, 0};  // fragment -> TCP
  std::vector<uint8_t> chained(v6.begin(), v6.begin() + 14 + 40);
  chained[14 + 6] = 0;  // next header: hop-by-hop
  uint16_t plen = static_cast<uint16_t>((chained[14 + 4] << 8 | chained[14 + 5]) + ext.size());
  chained[14 + 4] = static_cast<uint8_t>(plen >> 8);
  chained[14 + 5] = static_cast<uint8_t>(plen);
  chained.insert(chained.end(), ext.begin(), ext.end());
  chained.insert(chained.end(), v6.begin() + 14 + 40, v6.end());
  seeds.push_back(chained);
  return seeds;
}

// One to four of: flip bytes, cut the frame, rewrite IHL, data offset, lengths, the option area,
// flags, ports, addresses, the ethertype; or a frame of pure garbage.
std::vector<uint8_t> mutate(std::vector<uint8_t> f, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n ? static_cast<size_t>(rng() % n) : 0; };
  if (rng() % 10 == 0) {
    std::vector<uint8_t> garbage(14 + pick(200));
    for (auto& b : garbage) b = static_cast<uint8_t>(rng());
    if (rng() % 2) {  // mostly IP ethertypes, so that the parser is what runs
      garbage[12] = rng() % 2 ? 0x08 : 0x86;
      garbage[13] = garbage[12] == 0x08 ? 0x00 : 0xdd;
    }
    return garbage;
  }
  bool v4 = f.size() > 14 && f[12] == 0x08 && f[13] == 0x00;
  size_t l4 = 14 + (v4 ? (f[14] & 0x0f) * 4u : 40u);
  int n = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < n && f.size() > 14; i++) {
    switch (rng() % 10) {
      case 0: f[14 + pick(f.size() - 14)] ^= static_cast<uint8_t>(1u << (rng() % 8)); break;
      case 1: f.resize(14 + pick(f.size() - 14 + 1)); break;
      case 2: if (v4 && f.size() > 14) f[14] = static_cast<uint8_t>((f[14] & 0xf0) | (rng() % 16)); break;
      case 3: if (f.size() > l4 + 12) f[l4 + 12] = static_cast<uint8_t>((rng() % 16) << 4); break;
      case 4:  // option soup
        if (f.size() > l4 + 20)
          for (size_t o = l4 + 20; o < std::min(f.size(), l4 + 60); o++) f[o] = static_cast<uint8_t>(rng() % 12);
        break;
      case 5: if (f.size() > l4 + 13) f[l4 + 13] = static_cast<uint8_t>(rng()); break;  // flags
      case 6: if (f.size() > l4 + 4) { f[l4] = static_cast<uint8_t>(rng()); f[l4 + 2] = static_cast<uint8_t>(rng()); } break;
      case 7: if (v4 && f.size() > 18) { f[16] = static_cast<uint8_t>(rng()); f[17] = static_cast<uint8_t>(rng()); } break;  // tot_len
      case 8: if (f.size() > 14 + 20) f[14 + 12 + pick(8)] = static_cast<uint8_t>(rng()); break;  // addresses
      case 9: f[12 + pick(2)] = static_cast<uint8_t>(rng()); break;  // ethertype
    }
  }
  if (f.size() < 14) f.resize(14);
  return f;
}

struct Runner {
  DatapathUnderTest& dut;
  uint64_t ran = 0, refused = 0, ip_ran = 0, bad_verdicts = 0, changed = 0;

  // Runs one frame; the kernel refuses some (EINVAL: shorter than the headers it needs).
  void run(int direction, const std::vector<uint8_t>& frame) {
    std::vector<uint8_t> out(frame.size() + 256);
    __sk_buff ctx{};
    ctx.ifindex = kTestIfindex;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
                .data_size_in = static_cast<__u32>(frame.size()),
                .data_size_out = static_cast<__u32>(out.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof(ctx));
    int err = bpf_prog_test_run_opts(dut.prog_fd(direction), &opts);
    if (err == -EINVAL) {
      refused++;
      return;
    }
    ASSERT_EQ(err, 0) << strerror(-err);
    ran++;
    if (frame[12] == 0x08 && frame[13] == 0x00) ip_ran++;
    if (frame[12] == 0x86 && frame[13] == 0xdd) ip_ran++;
    if (static_cast<int>(opts.retval) != TC_ACT_UNSPEC) bad_verdicts++;
    if (opts.data_size_out != frame.size() || memcmp(out.data(), frame.data(), frame.size()) != 0)
      changed++;
  }
};

uint64_t pod_packets(const DatapathUnderTest& dut) {
  auto pod = dut.pod();
  return pod.dir[TCPULSE_DIR_EGRESS].packets + pod.dir[TCPULSE_DIR_INGRESS].packets;
}

// The maps after the storm: each claimed slot holds a key whose hash gives its tag, no flow is in
// the slot array and an overflow hash at once, and every flow is this pod's.
void expect_consistent_flow_tables(const DatapathUnderTest& dut) {
  FlowTables tables = dut.flow_tables();
  std::set<std::string> in_slots;
  auto bytes = [](const FlowKey& k) {  // field by field: the struct has padding
    std::string s = std::to_string(k.ifindex) + "/" + std::to_string(k.family) + "/" +
                    std::to_string(k.local_port) + "/" + std::to_string(k.remote_port) + "/";
    s.append(reinterpret_cast<const char*>(k.local_addr), 16);
    s.append(reinterpret_cast<const char*>(k.remote_addr), 16);
    return s;
  };
  ASSERT_TRUE(tables.slots.for_each([&](const FlowKey& k, const tcpulse_flow_stats&) {
    EXPECT_EQ(k.ifindex, kTestIfindex);
    EXPECT_EQ(tables.slots.slot_of(k).tag,
              tcpulse_flow_tag(flow_hash(k), k.family == TCPULSE_AF_INET6));
    in_slots.insert(bytes(k));
  }));
  auto check_hash = [&](const FlowKey& k) {
    EXPECT_EQ(k.ifindex, kTestIfindex);
    EXPECT_FALSE(in_slots.count(bytes(k))) << "a flow in two places";
  };
  ASSERT_TRUE(tables.v4.for_each([&](const tcpulse_flow4_key& key, const tcpulse_flow_stats&) {
    check_hash(to_flow_key(key));
  }));
  ASSERT_TRUE(tables.v6.for_each([&](const tcpulse_flow6_key& key, const tcpulse_flow_stats&) {
    check_hash(to_flow_key(key));
  }));
  EXPECT_GT(in_slots.size(), 0u);
}

class DatapathFuzz : public ::testing::TestWithParam<HeaderAccess> {
 protected:
  void SetUp() override { TCPULSE_SKIP_UNLESS(bpf_unavailable()); }
};

TEST_P(DatapathFuzz, RandomAndMutatedPacketsPassUnchangedAndAreCountedOnce) {
  DatapathUnderTest dut(GetParam());
  ASSERT_TRUE(dut.loaded());
  uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto seeds = seed_frames(rng);
  Runner runner{dut};
  // Half of the packets through each access path: the in-place parser, or the copying one.
  size_t packets = packet_count() / 2;
  for (size_t i = 0; i < packets; i++) {
    if (i % 4096 == 0) dut.set_time(1'000'000 + i * 1000);
    runner.run(rng() % 2 ? TCPULSE_DIR_EGRESS : TCPULSE_DIR_INGRESS, mutate(seeds[rng() % seeds.size()], rng));
    if (HasFatalFailure()) return;
  }
  std::cout << "[ fuzz     ] " << to_string(GetParam()) << ": " << runner.ran << " packets run, "
            << runner.refused << " refused by the kernel\n";
  EXPECT_GE(runner.ran + runner.refused, packets);
  EXPECT_EQ(runner.bad_verdicts, 0u);
  EXPECT_EQ(runner.changed, 0u);
  uint64_t malformed = dut.errors(TCPULSE_ERR_TRUNCATED_IP) + dut.errors(TCPULSE_ERR_BAD_IP_HEADER) +
                       dut.errors(TCPULSE_ERR_TRUNCATED_TCP);
  EXPECT_GT(malformed, 0u);
  EXPECT_GT(dut.errors(TCPULSE_ERR_BAD_TCP_OPTION), 0u);
  // Every IP packet the parser took counts in the pod once; every other one is an error.
  EXPECT_EQ(pod_packets(dut) + malformed, runner.ip_ran);
  expect_consistent_flow_tables(dut);
}

// Known-bad packets, each class with the one error it must count, and nothing else touched.
TEST_P(DatapathFuzz, EachKindOfMalformedPacketCountsItsOwnError) {
  DatapathUnderTest dut(GetParam());
  ASSERT_TRUE(dut.loaded());
  std::mt19937_64 rng(42);
  Runner runner{dut};
  auto base = [&] {
    return PacketBuilder().ipv4("10.1.0.5", "10.2.0.1")
        .tcp(static_cast<uint16_t>(1024 + rng() % 60000), 80).ack(1).payload(rng() % 100);
  };
  struct Class {
    const char* name;
    int reason;
    std::function<std::vector<uint8_t>()> make;
  } classes[] = {
      {"IHL below 5", TCPULSE_ERR_BAD_IP_HEADER,
       [&] { return base().ip_header_len_words(static_cast<uint8_t>(rng() % 5)).build(); }},
      {"cut inside the TCP header", TCPULSE_ERR_TRUNCATED_TCP,
       [&] { return base().build_truncated(14 + 20 + 1 + rng() % 19); }},
      {"data offset below 5", TCPULSE_ERR_TRUNCATED_TCP,
       [&] { return base().tcp_data_offset_words(static_cast<uint8_t>(rng() % 5)).build(); }},
      {"option of length 0 or 1", TCPULSE_ERR_BAD_TCP_OPTION,
       [&] { return base().tcp_options({8, static_cast<uint8_t>(rng() % 2), 0, 0}).build(); }},
      {"option past the header", TCPULSE_ERR_BAD_TCP_OPTION,
       [&] { return base().tcp_options({1, 1, 5, static_cast<uint8_t>(10 + rng() % 30)}).build(); }},
  };
  constexpr int kEach = 2000;
  for (const auto& c : classes) {
    SCOPED_TRACE(c.name);
    uint64_t before = dut.errors(c.reason), packets_before = pod_packets(dut);
    uint64_t others_before = 0;
    for (int r = 0; r < TCPULSE_ERR_COUNT; r++)
      if (r != c.reason) others_before += dut.errors(r);
    for (int i = 0; i < kEach; i++) runner.run(i % 2 ? TCPULSE_DIR_EGRESS : TCPULSE_DIR_INGRESS, c.make());
    EXPECT_EQ(dut.errors(c.reason) - before, static_cast<uint64_t>(kEach));
    uint64_t others = 0;
    for (int r = 0; r < TCPULSE_ERR_COUNT; r++)
      if (r != c.reason) others += dut.errors(r);
    EXPECT_EQ(others, others_before);
    // A bad option only loses the options: the packet still counts in its pod.
    EXPECT_EQ(pod_packets(dut) - packets_before,
              c.reason == TCPULSE_ERR_BAD_TCP_OPTION ? static_cast<uint64_t>(kEach) : 0u);
  }
  EXPECT_EQ(runner.refused, 0u);
  EXPECT_EQ(runner.bad_verdicts, 0u);
  EXPECT_EQ(runner.changed, 0u);
}

INSTANTIATE_TEST_SUITE_P(Headers, DatapathFuzz,
                         ::testing::Values(HeaderAccess::kInPlace, HeaderAccess::kCopied),
                         [](const auto& info) { return to_string(info.param); });

}  // namespace
}  // namespace tcpulse::test
