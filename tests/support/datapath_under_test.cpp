#include "tests/support/datapath_under_test.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstring>

#include "agent/datapath_maps.h"
#include "tc-bpf/lib/pod_ledger.h"
#include "tcpulse/tcpulse_test.skel.h"

namespace tcpulse::test {

std::string to_string(HeaderAccess access) {
  return access == HeaderAccess::kInPlace ? "InPlace" : "Copied";
}

DatapathUnderTest::DatapathUnderTest(HeaderAccess access,
                                     const std::optional<tcpulse_datapath_config>& config) {
  tcpulse_test_bpf* skel = tcpulse_test_bpf__open();
  if (!skel) {
    ADD_FAILURE() << "open the test skeleton: " << strerror(errno);
    return;
  }
  // Private maps: tests never touch pins.
  bpf_map* map;
  bpf_object__for_each_map(map, skel->obj) bpf_map__set_pin_path(map, nullptr);
  if (config) {
    skel->rodata->tcpulse_config.rtt_sample_interval_ns = config->rtt_sample_interval_ns;
    skel->rodata->tcpulse_config.rtt_sample_expiry_ns = config->rtt_sample_expiry_ns;
    skel->rodata->tcpulse_config.reorder_window_ns = config->reorder_window_ns;
  }
  if (int err = tcpulse_test_bpf__load(skel); err) {
    ADD_FAILURE() << "load the test datapath: " << strerror(-err);
    tcpulse_test_bpf__destroy(skel);
    return;
  }
  skel_ = skel;
  skel_->bss->tcpulse_test_copy_headers = access == HeaderAccess::kCopied;
}

DatapathUnderTest::~DatapathUnderTest() {
  if (skel_) tcpulse_test_bpf__destroy(skel_);
}

int DatapathUnderTest::run(int direction, const std::vector<uint8_t>& frame, uint32_t gso_segs) {
  bpf_program* prog = direction == TCPULSE_DIR_EGRESS ? skel_->progs.tcpulse_ingress
                                                      : skel_->progs.tcpulse_egress;
  std::vector<uint8_t> out(frame.size() + 256);
  __sk_buff ctx{};
  ctx.ifindex = kTestIfindex;
  if (gso_segs) {
    // Mirrors what the kernel's own selftest passes for a GSO skb.
    ctx.gso_segs = gso_segs;
    ctx.gso_size = 1000;
    ctx.wire_len = static_cast<__u32>(frame.size());
  }
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = out.data(),
              .data_size_in = static_cast<__u32>(frame.size()),
              .data_size_out = static_cast<__u32>(out.size()), .ctx_in = &ctx,
              .ctx_size_in = sizeof(ctx));
  int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
  EXPECT_EQ(err, 0) << strerror(-err);
  EXPECT_EQ(opts.data_size_out, frame.size());  // the packet is never changed
  EXPECT_EQ(0, memcmp(out.data(), frame.data(), frame.size()));
  return static_cast<int>(opts.retval);
}

void DatapathUnderTest::run_repeated(int direction, const std::vector<uint8_t>& frame,
                                     uint32_t repeat) {
  bpf_program* prog = direction == TCPULSE_DIR_EGRESS ? skel_->progs.tcpulse_ingress
                                                      : skel_->progs.tcpulse_egress;
  __sk_buff ctx{};
  ctx.ifindex = kTestIfindex;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
              .data_size_in = static_cast<__u32>(frame.size()), .ctx_in = &ctx,
              .ctx_size_in = sizeof(ctx), .repeat = static_cast<int>(repeat));
  int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
  EXPECT_EQ(err, 0) << strerror(-err);
}

int DatapathUnderTest::prog_fd(int direction) const {
  return bpf_program__fd(direction == TCPULSE_DIR_EGRESS ? skel_->progs.tcpulse_ingress
                                                         : skel_->progs.tcpulse_egress);
}

void DatapathUnderTest::set_time(uint64_t ns) { skel_->bss->tcpulse_mock_now_ns = ns; }

uint64_t DatapathUnderTest::copied_packets() const {
  return skel_->bss->tcpulse_test_copied_packets;
}

FlowTables DatapathUnderTest::flow_tables() const {
  auto slots = FlowSlots::adopt(UniqueFd(dup(bpf_map__fd(skel_->maps.tcpulse_flowtab))),
                                "tcpulse_flowtab");
  EXPECT_TRUE(slots) << slots.error().describe();
  return FlowTables{slots ? std::move(slots).value() : FlowSlots(),
                    Flow4Map(UniqueFd(dup(bpf_map__fd(skel_->maps.tcpulse_flows4)))),
                    Flow6Map(UniqueFd(dup(bpf_map__fd(skel_->maps.tcpulse_flows6))))};
}

std::optional<tcpulse_flow_stats> DatapathUnderTest::flow(const FlowKey& key) const {
  auto s = flow_tables().get(key);
  EXPECT_TRUE(s) << s.error().describe();
  return s ? s.value() : std::nullopt;
}

size_t DatapathUnderTest::flow_count() const {
  size_t n = 0;
  auto r = flow_tables().for_each([&](const FlowKey&, const tcpulse_flow_stats&) { n++; });
  EXPECT_TRUE(r) << r.error().describe();
  return n;
}

tcpulse_pod_stats DatapathUnderTest::pod_events(uint32_t ifindex) const {
  std::vector<tcpulse_pod_stats> per_cpu(libbpf_num_possible_cpus());
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.tcpulse_podstat), &ifindex, per_cpu.data()) != 0)
    return {};
  return sum_pod_stats(per_cpu);
}

std::vector<tcpulse_pod_slot> DatapathUnderTest::slot_copies(uint32_t ifindex) const {
  std::vector<tcpulse_pod_slot> per_cpu(libbpf_num_possible_cpus());
  __u32 index = pod_slot_index(ifindex);
  EXPECT_EQ(bpf_map_lookup_elem(bpf_map__fd(skel_->maps.tcpulse_podslot), &index, per_cpu.data()), 0);
  return per_cpu;
}

void DatapathUnderTest::set_slot_owner(uint32_t slot_of, uint32_t owner) {
  std::vector<tcpulse_pod_slot> per_cpu(libbpf_num_possible_cpus());
  for (auto& copy : per_cpu) copy.ifindex = owner;
  __u32 index = pod_slot_index(slot_of);
  EXPECT_EQ(bpf_map_update_elem(bpf_map__fd(skel_->maps.tcpulse_podslot), &index, per_cpu.data(), BPF_ANY), 0);
}

tcpulse_pod_stats DatapathUnderTest::pod(uint32_t ifindex) const {
  // The production ledger, with the account of a pod attached before any packet.
  const tcpulse_pod_account from_the_start{};
  tcpulse_pod_stats totals =
      pod_totals(from_the_start, pod_events(ifindex), owned_slot_traffic(slot_copies(ifindex), ifindex));
  auto r = flow_tables().for_each([&](const FlowKey& key, const tcpulse_flow_stats& flow) {
    if (key.ifindex == ifindex) add_live_flow(totals, flow);
  });
  EXPECT_TRUE(r) << r.error().describe();
  return totals;
}

uint64_t DatapathUnderTest::errors(int reason) const {
  std::vector<uint64_t> per_cpu(libbpf_num_possible_cpus());
  __u32 key = reason;
  uint64_t sum = 0;
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.tcpulse_errors), &key, per_cpu.data()) == 0)
    for (auto v : per_cpu) sum += v;
  return sum;
}

FlowKey tcp_flow_key(bool v6, const std::string& local, uint16_t local_port,
                     const std::string& remote, uint16_t remote_port) {
  FlowKey k;
  int af = v6 ? AF_INET6 : AF_INET;
  k.ifindex = kTestIfindex;
  k.family = v6 ? TCPULSE_AF_INET6 : TCPULSE_AF_INET;
  k.local_port = htons(local_port);
  k.remote_port = htons(remote_port);
  inet_pton(af, local.c_str(), k.local_addr);
  inet_pton(af, remote.c_str(), k.remote_addr);
  return k;
}

}  // namespace tcpulse::test
