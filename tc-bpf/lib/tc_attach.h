// Attaching the datapath to a host veth: a pinned tcx link (kernel >= 6.6), or a clsact/cls_bpf
// filter on older kernels. We only ever remove what is ours: a link we pinned, or a cls_bpf
// filter at our handle running a program named tcpulse_*. Each pin base has its own handle
// (PinLayout::clsact_handle), so two datapaths on one veth (tests, a second install) never take
// each other's filter.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/tc_hook.h"
#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse {

// How a pod's programs are attached. Xdp: what the pod sends through an XDP program on its host
// veth (xdp_attach.h), what it receives on tcx (or clsact) as in Auto; attach_program itself
// attaches tc programs only.
enum class AttachMode { Auto, Tcx, Clsact, Xdp };

// The cls_bpf handle of the default pin base ("tc"): the one releases up to 0.9 used for all.
inline constexpr uint32_t kDefaultClsactHandle = 0x7463;

// Parses "auto" | "tcx" | "tc" | "xdp"; nullopt for anything else.
std::optional<AttachMode> parse_attach_mode(std::string_view text);
std::string_view attach_mode_name(AttachMode mode);

// Where a tcx link goes among the hook's programs. The datapath is always First; Last is for the
// benchmark, which measures its floor program on either side of tcpulse.
enum class TcxPosition { First, Last };

// Attaches prog_fd at hook of ifindex, first in line so that a primary CNI's redirect cannot hide
// packets from us. In tcx mode the link is pinned at link_pin (an existing pin for the same
// ifindex is kept, so a repeated ADD is idempotent). Auto tries tcx, then clsact. Returns the
// mode used.
Result<AttachMode> attach_program(int prog_fd, int ifindex, TcHook hook,
                                  const std::filesystem::path& link_pin, AttachMode mode,
                                  TcxPosition position = TcxPosition::First,
                                  uint32_t clsact_handle = kDefaultClsactHandle);

// A tcx link running prog_fd at hook of ifindex, held by its descriptor only: the program leaves
// the hook when it is closed (or its process dies). nullopt if this kernel has no tcx.
Result<std::optional<UniqueFd>> create_tcx_link(int prog_fd, int ifindex, TcHook hook,
                                                TcxPosition position = TcxPosition::First);

// The programs attached by tcx at hook of ifindex, in the order they run.
Result<std::vector<uint32_t>> tcx_programs(int ifindex, TcHook hook);

struct LinkTarget {
  uint32_t ifindex = 0;  // 0 once the device is gone: the link is defunct
  uint32_t prog_id = 0;
};
// What a pinned tcx link is attached to; nullopt if nothing is pinned there.
Result<std::optional<LinkTarget>> read_pinned_link(const std::filesystem::path& link_pin);

// Makes the tcx link pinned at link_pin run prog_fd in place of its program, atomically.
Result<void> update_link_program(const std::filesystem::path& link_pin, int prog_fd);

// The id of our cls_bpf filter's program at hook of ifindex (a tcpulse program at our handle),
// nullopt if there is none.
Result<std::optional<uint32_t>> clsact_program(int ifindex, TcHook hook,
                                               uint32_t handle = kDefaultClsactHandle);
// Removes our cls_bpf filter (not the clsact qdisc, which others may use). Missing is fine.
Result<void> detach_clsact(int ifindex, TcHook hook, uint32_t handle = kDefaultClsactHandle);

// A BPF program's id and name by fd / by id.
uint32_t prog_id_of(int prog_fd);
std::string prog_name_of(uint32_t prog_id);
// Whether a program id belongs to the tcpulse datapath (by its name).
bool is_tcpulse_prog(uint32_t prog_id);
// Whether two programs are the same: the same code (the kernel's tag hashes the instructions,
// with map references left out, so two loads of one build are the same and two builds that
// differ are not) and the same read-only data (the tunables the agent set at load).
bool same_program(uint32_t prog_id_a, uint32_t prog_id_b);

}  // namespace tcpulse
