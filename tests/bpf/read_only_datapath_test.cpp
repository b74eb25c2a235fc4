// The datapath only observes: every helper its programs call (after libbpf has appended the
// subprograms) is on a short read-only list. A helper that may change packet data, such as
// bpf_skb_pull_data, is a cost on pod traffic even when it never runs on the fast path: TCP sends
// clones, and pulling a clone copies its headers. Adding one must be a deliberate change here.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "tcpulse/abi.h"  // the skeleton names its types but does not include them
#include "tcpulse/tcpulse.skel.h"
#include "tests/support/privileges.h"

namespace tcpulse::test {
namespace {

const std::set<int> kAllowedHelpers = {
    BPF_FUNC_map_lookup_elem,      BPF_FUNC_map_update_elem, BPF_FUNC_ktime_get_ns,
    BPF_FUNC_ktime_get_coarse_ns,  BPF_FUNC_skb_load_bytes,  BPF_FUNC_xdp_load_bytes,
    // The uplink's: a sent packet's socket's cgroup, and whether a host socket listens for a SYN.
    BPF_FUNC_skb_cgroup_id,        BPF_FUNC_sk_lookup_tcp,   BPF_FUNC_sk_release,
};

TEST(ReadOnlyDatapath, CallsOnlyReadOnlyHelpers) {
  TCPULSE_SKIP_UNLESS(bpf_unavailable());
  tcpulse_bpf* skel = tcpulse_bpf__open();
  ASSERT_NE(skel, nullptr) << strerror(errno);
  bpf_map* map;
  bpf_object__for_each_map(map, skel->obj) bpf_map__set_pin_path(map, nullptr);
  // Loaded, so that libbpf has appended the global subprograms to each program's instructions.
  ASSERT_EQ(tcpulse_bpf__load(skel), 0);
  bpf_program* prog;
  int programs = 0;
  bpf_object__for_each_program(prog, skel->obj) {
    programs++;
    const bpf_insn* insns = bpf_program__insns(prog);
    size_t helper_calls = 0;
    for (size_t i = 0; i < bpf_program__insn_cnt(prog); i++) {
      const bpf_insn& in = insns[i];
      if (in.code != (BPF_JMP | BPF_CALL) || in.src_reg != 0) continue;  // not a helper call
      helper_calls++;
      EXPECT_TRUE(kAllowedHelpers.count(in.imm))
          << bpf_program__name(prog) << " calls helper #" << in.imm << " at insn " << i;
    }
    EXPECT_GT(helper_calls, 0u) << bpf_program__name(prog);  // the scan sees calls at all
  }
  EXPECT_EQ(programs, 6);  // a pod veth's two and its XDP one, the uplink's three
  tcpulse_bpf__destroy(skel);
}

}  // namespace
}  // namespace tcpulse::test
