#include "tc-bpf/lib/datapath_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tc-bpf/lib/bpffs.h"
#include "tc-bpf/lib/tc_attach.h"
#include "tcpulse/tcpulse.skel.h"

namespace tcpulse {

uint32_t flow_table_slots(uint32_t flows_max) {
  uint32_t slots = 1;
  while (slots < flows_max && slots < (1U << 31)) slots <<= 1;
  return slots;
}

namespace {

// Opens the skeleton with its maps pinned under layout, sized and tuned as options say (a flow
// table pinned at another size keeps it: *slots says which). Not loaded.
Result<tcpulse_bpf*> open_configured(const PinLayout& layout,
                                     const LoadedDatapath::Options& options, uint32_t* slots) {
  std::string pin_root = layout.maps_dir().string();
  LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = pin_root.c_str());
  tcpulse_bpf* skel = tcpulse_bpf__open_opts(&open_opts);
  if (!skel) return libbpf_error(-errno, "open datapath skeleton");
  std::unique_ptr<tcpulse_bpf, void (*)(tcpulse_bpf*)> owned(skel, tcpulse_bpf__destroy);

  *slots = flow_table_slots(options.flows_max);
  // Pins made at another size (a restart with another --flows-max): libbpf would refuse to reuse
  // them, and an agent that exits on it crash-loops on every node. The pinned size stays, with
  // the flows it holds; a new size takes effect once the pins are removed (uninstall, or
  // --cleanup-on-exit).
  if (auto pinned = open_pinned(layout.map(bpf_map__name(skel->maps.tcpulse_flowtab))); pinned) {
    bpf_map_info info{};
    __u32 len = sizeof(info);
    if (bpf_obj_get_info_by_fd(pinned.value().get(), &info, &len) == 0 && info.max_entries)
      *slots = info.max_entries;
  }
  if (int ret = bpf_map__set_max_entries(skel->maps.tcpulse_flowtab, *slots); ret < 0)
    return libbpf_error(ret, "size the flow table");
  skel->rodata->tcpulse_flowtab_mask = *slots - 1;
  // Field by field: the skeleton declares the rodata member const volatile.
  skel->rodata->tcpulse_config.rtt_sample_interval_ns = options.config.rtt_sample_interval_ns;
  skel->rodata->tcpulse_config.rtt_sample_expiry_ns = options.config.rtt_sample_expiry_ns;
  skel->rodata->tcpulse_config.reorder_window_ns = options.config.reorder_window_ns;
  for (bpf_map* overflow : {skel->maps.tcpulse_flows4, skel->maps.tcpulse_flows6})
    if (int ret = bpf_map__set_max_entries(overflow, *slots / 2); ret < 0)
      return libbpf_error(ret, "size the flow table's overflow");
  return owned.release();
}

bpf_program* skeleton_program(tcpulse_bpf* skel, LoadedDatapath::Program program) {
  switch (program) {
    case LoadedDatapath::Program::PodXdp: return skel->progs.tcpulse_xdp_pod;
    case LoadedDatapath::Program::HostEgress: return skel->progs.tcpulse_host_egress;
    case LoadedDatapath::Program::HostIngress: return skel->progs.tcpulse_host_ingress;
    case LoadedDatapath::Program::HostXdp: return skel->progs.tcpulse_host_xdp;
  }
  return nullptr;
}

}  // namespace

Result<std::unique_ptr<LoadedDatapath>> LoadedDatapath::load_and_pin(const PinLayout& layout,
                                                                      const Options& options) {
  if (auto r = check_bpffs(layout.base()); !r) return r.error();
  for (const auto& dir : {layout.maps_dir(), layout.progs_dir(), layout.links_dir()})
    if (auto r = make_pin_dirs(dir); !r) return r.error();

  std::string pin_root = layout.maps_dir().string();
  uint32_t slots = 0;
  auto opened = open_configured(layout, options, &slots);
  if (!opened) return opened.error();
  tcpulse_bpf* skel = opened.value();
  std::unique_ptr<LoadedDatapath> owner(new LoadedDatapath(skel, layout, options));
  owner->requested_slots_ = flow_table_slots(options.flows_max);
  owner->flow_slots_ = slots;
  // libbpf reuses a pinned map only if type, sizes, flags and max_entries all match, else fails:
  // exactly what we want, since a layout change comes with a new ABI directory.
  if (int ret = tcpulse_bpf__load(skel); ret < 0)
    return libbpf_error(ret, "load datapath (pinned maps in " + pin_root +
                                 " must match this build; see the agent log above)");

  for (TcHook hook : kTcHooks)
    if (auto r = pin_replace(owner->prog_fd(hook), layout.prog(hook)); !r) return r.error();
  if (auto r = pin_replace(owner->prog_fd(Program::PodXdp), layout.xdp_prog()); !r) return r.error();
  return owner;
}

LoadedDatapath::~LoadedDatapath() { tcpulse_bpf__destroy(skel_); }

int LoadedDatapath::prog_fd(TcHook hook) const {
  return bpf_program__fd(hook == TcHook::Ingress ? skel_->progs.tcpulse_ingress
                                                 : skel_->progs.tcpulse_egress);
}

uint32_t LoadedDatapath::prog_id(TcHook hook) const { return prog_id_of(prog_fd(hook)); }

int LoadedDatapath::prog_fd(Program program) const {
  return bpf_program__fd(skeleton_program(skel_, program));
}

UnloadedProgram::~UnloadedProgram() { tcpulse_bpf__destroy(skel_); }

bpf_object* UnloadedProgram::object() const { return skel_->obj; }

Result<std::unique_ptr<UnloadedProgram>> LoadedDatapath::open_unloaded(Program program) const {
  uint32_t slots = 0;
  auto opened = open_configured(layout_, options_, &slots);
  if (!opened) return opened.error();
  std::unique_ptr<UnloadedProgram> copy(new UnloadedProgram(opened.value()));
  bpf_program* wanted = skeleton_program(opened.value(), program);
  copy->name_ = bpf_program__name(wanted);
  bpf_program* each;
  bpf_object__for_each_program(each, opened.value()->obj)
    if (int ret = bpf_program__set_autoload(each, each == wanted); ret < 0)
      return libbpf_error(ret, "select the program to load");
  return copy;
}

}  // namespace tcpulse
