#include "tc-bpf/lib/tc_attach.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <vector>

#include "tc-bpf/lib/bpffs.h"
#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse {

namespace {

// Debian's libbpf 1.1 and uapi headers predate tcx (Linux 6.6); these are the kernel's values.
constexpr int kBpfTcxIngress = 46;
constexpr int kBpfTcxEgress = 47;
constexpr __u32 kBpfFBefore = 1U << 3;
constexpr __u32 kBpfLinkTypeTcx = 11;
// The kernel-internal ENOTSUPP that some attach paths leak to user space.
constexpr int kEnotsupp = 524;

// Our cls_bpf filters sit at the highest priority, each pin base at its own handle.
constexpr __u32 kClsactPriority = 1;

// struct bpf_link_info as the kernel fills it for a tcx link (6.1 headers lack the tcx member).
struct TcxLinkInfo {
  __u32 type;
  __u32 id;
  __u32 prog_id;
  __u32 pad;
  __u32 ifindex;
  __u32 attach_type;
  __u8 rest[232];  // the union's remaining bytes; the kernel requires them zero on input
};

bpf_tc_hook make_hook(int ifindex, TcHook hook) {
  bpf_tc_hook h{};
  h.sz = sizeof(h);
  h.ifindex = ifindex;
  h.attach_point = hook == TcHook::Ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
  return h;
}

bpf_tc_opts make_opts(int prog_fd, __u32 handle) {
  bpf_tc_opts o{};
  o.sz = sizeof(o);
  o.handle = handle;
  o.priority = kClsactPriority;
  o.prog_fd = prog_fd;
  return o;
}

Result<void> attach_clsact(int prog_fd, int ifindex, TcHook hook, __u32 handle) {
  bpf_tc_hook h = make_hook(ifindex, hook);
  int ret = bpf_tc_hook_create(&h);
  if (ret < 0 && ret != -EEXIST) return libbpf_error(ret, "create clsact qdisc");
  bpf_tc_opts o = make_opts(prog_fd, handle);
  o.flags = BPF_TC_F_REPLACE;
  ret = bpf_tc_attach(&h, &o);
  if (ret < 0) return libbpf_error(ret, "attach cls_bpf filter");
  return success();
}

// Ok(true): attached and pinned; Ok(false): this kernel has no tcx.
Result<bool> attach_tcx(int prog_fd, int ifindex, TcHook hook,
                        const std::filesystem::path& link_pin, TcxPosition position) {
  auto existing = read_pinned_link(link_pin);
  if (existing && existing.value() && existing.value()->ifindex == static_cast<uint32_t>(ifindex))
    return true;  // a repeated ADD: already attached here

  auto link = create_tcx_link(prog_fd, ifindex, hook, position);
  if (!link) return link.error();
  if (!link.value()) return false;
  // Replacing a stale pin (a defunct link of an old sandbox with the same id) releases it.
  if (auto r = pin_replace(link.value()->get(), link_pin); !r) return r.error();
  return true;
}

}  // namespace

Result<std::optional<UniqueFd>> create_tcx_link(int prog_fd, int ifindex, TcHook hook,
                                                TcxPosition position) {
  // No flag (and no relative program) appends: last in line.
  LIBBPF_OPTS(bpf_link_create_opts, opts,
              .flags = position == TcxPosition::First ? kBpfFBefore : 0U);
  int attach_type = hook == TcHook::Ingress ? kBpfTcxIngress : kBpfTcxEgress;
  int fd = bpf_link_create(prog_fd, ifindex, static_cast<bpf_attach_type>(attach_type), &opts);
  if (fd < 0) {
    if (fd == -EINVAL || fd == -EOPNOTSUPP || fd == -kEnotsupp) return std::optional<UniqueFd>();
    return libbpf_error(fd, "create tcx link");
  }
  return std::optional<UniqueFd>(UniqueFd(fd));
}

std::optional<AttachMode> parse_attach_mode(std::string_view text) {
  if (text == "auto") return AttachMode::Auto;
  if (text == "tcx") return AttachMode::Tcx;
  if (text == "tc" || text == "clsact") return AttachMode::Clsact;
  if (text == "xdp") return AttachMode::Xdp;
  return std::nullopt;
}

std::string_view attach_mode_name(AttachMode mode) {
  switch (mode) {
    case AttachMode::Auto: return "auto";
    case AttachMode::Tcx: return "tcx";
    case AttachMode::Clsact: return "tc";
    case AttachMode::Xdp: return "xdp";
  }
  return "?";
}

Result<AttachMode> attach_program(int prog_fd, int ifindex, TcHook hook,
                                  const std::filesystem::path& link_pin, AttachMode mode,
                                  TcxPosition position, uint32_t clsact_handle) {
  if (mode == AttachMode::Xdp) mode = AttachMode::Auto;  // a tc hook of an XDP pod
  if (mode != AttachMode::Clsact) {
    auto tcx = attach_tcx(prog_fd, ifindex, hook, link_pin, position);
    if (!tcx) return tcx.error();
    if (tcx.value()) return AttachMode::Tcx;
    if (mode == AttachMode::Tcx) return Error(EOPNOTSUPP, "this kernel has no tcx (needs 6.6)");
  }
  if (auto r = attach_clsact(prog_fd, ifindex, hook, clsact_handle); !r) return r.error();
  return AttachMode::Clsact;
}

Result<std::vector<uint32_t>> tcx_programs(int ifindex, TcHook hook) {
  std::vector<uint32_t> ids(64);  // bpf_mprog's limit per hook
  LIBBPF_OPTS(bpf_prog_query_opts, query, .prog_ids = ids.data(),
              .prog_cnt = static_cast<__u32>(ids.size()));
  int attach_type = hook == TcHook::Ingress ? kBpfTcxIngress : kBpfTcxEgress;
  // For tcx the kernel reads the query's target as an ifindex.
  int ret = bpf_prog_query_opts(ifindex, static_cast<bpf_attach_type>(attach_type), &query);
  if (ret < 0) return libbpf_error(ret, "query tcx programs");
  ids.resize(query.prog_cnt);
  return ids;
}

Result<std::optional<LinkTarget>> read_pinned_link(const std::filesystem::path& link_pin) {
  auto fd = open_pinned(link_pin);
  if (!fd) {
    if (fd.error().code() == ENOENT) return std::optional<LinkTarget>();
    return fd.error();
  }
  TcxLinkInfo info{};
  __u32 len = sizeof(info);
  int ret = bpf_obj_get_info_by_fd(fd->get(), &info, &len);
  if (ret < 0) return libbpf_error(ret, "get info of link " + link_pin.string());
  if (info.type != kBpfLinkTypeTcx)
    return Error(EINVAL, link_pin.string() + " is not a tcx link");
  return std::optional<LinkTarget>(LinkTarget{info.ifindex, info.prog_id});
}

Result<void> update_link_program(const std::filesystem::path& link_pin, int prog_fd) {
  auto link = open_pinned(link_pin);
  if (!link) return link.error();
  if (int ret = bpf_link_update(link->get(), prog_fd, nullptr); ret < 0)
    return libbpf_error(ret, "update the program of link " + link_pin.string());
  return success();
}

Result<std::optional<uint32_t>> clsact_program(int ifindex, TcHook hook, uint32_t handle) {
  bpf_tc_hook h = make_hook(ifindex, hook);
  bpf_tc_opts o = make_opts(0, handle);
  o.prog_fd = 0;
  int ret = bpf_tc_query(&h, &o);
  if (ret == -ENOENT || ret == -EINVAL || ret == -ENODEV) return std::optional<uint32_t>();
  if (ret < 0) return libbpf_error(ret, "query cls_bpf filter");
  if (!is_tcpulse_prog(o.prog_id)) return std::optional<uint32_t>();
  return std::optional<uint32_t>(o.prog_id);
}

Result<void> detach_clsact(int ifindex, TcHook hook, uint32_t handle) {
  auto ours = clsact_program(ifindex, hook, handle);
  if (!ours) return ours.error();
  if (!ours.value()) return success();
  bpf_tc_hook h = make_hook(ifindex, hook);
  bpf_tc_opts o = make_opts(0, handle);
  int ret = bpf_tc_detach(&h, &o);
  if (ret < 0 && ret != -ENOENT && ret != -ENODEV) return libbpf_error(ret, "detach cls_bpf filter");
  return success();
}

uint32_t prog_id_of(int prog_fd) {
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) return 0;
  return info.id;
}

std::string prog_name_of(uint32_t prog_id) {
  int fd = bpf_prog_get_fd_by_id(prog_id);
  if (fd < 0) return {};
  UniqueFd owned(fd);
  bpf_prog_info info{};
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return {};
  return std::string(info.name, strnlen(info.name, sizeof(info.name)));
}

bool is_tcpulse_prog(uint32_t prog_id) {
  return prog_id != 0 && prog_name_of(prog_id).rfind("tcpulse_", 0) == 0;
}

namespace {

struct ProgramIdentity {
  std::array<__u8, BPF_TAG_SIZE> tag{};
  std::vector<uint8_t> rodata;  // the value of its .rodata map, if it has one
};

std::optional<ProgramIdentity> identity_of(uint32_t prog_id) {
  int fd = bpf_prog_get_fd_by_id(prog_id);
  if (fd < 0) return std::nullopt;
  UniqueFd owned(fd);
  std::array<__u32, 64> map_ids{};
  bpf_prog_info info{};
  info.nr_map_ids = map_ids.size();
  info.map_ids = reinterpret_cast<__u64>(map_ids.data());
  __u32 len = sizeof(info);
  if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0) return std::nullopt;
  ProgramIdentity id;
  memcpy(id.tag.data(), info.tag, id.tag.size());
  for (__u32 i = 0; i < std::min<__u32>(info.nr_map_ids, map_ids.size()); i++) {
    int map_fd = bpf_map_get_fd_by_id(map_ids[i]);
    if (map_fd < 0) continue;
    UniqueFd map(map_fd);
    bpf_map_info map_info{};
    __u32 map_len = sizeof(map_info);
    if (bpf_obj_get_info_by_fd(map_fd, &map_info, &map_len) != 0) continue;
    std::string_view name(map_info.name, strnlen(map_info.name, sizeof(map_info.name)));
    if (name.size() < 7 || name.substr(name.size() - 7) != ".rodata") continue;
    id.rodata.resize(map_info.value_size);
    __u32 key = 0;
    if (bpf_map_lookup_elem(map_fd, &key, id.rodata.data()) != 0) return std::nullopt;
  }
  return id;
}

}  // namespace

bool same_program(uint32_t prog_id_a, uint32_t prog_id_b) {
  if (prog_id_a == prog_id_b) return true;
  auto a = identity_of(prog_id_a), b = identity_of(prog_id_b);
  return a && b && a->tag == b->tag && a->rodata == b->rodata;
}

}  // namespace tcpulse
