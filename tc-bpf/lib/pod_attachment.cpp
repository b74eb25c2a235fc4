#include "tc-bpf/lib/pod_attachment.h"

#include <unistd.h>

#include <cstring>
#include <future>

#include "tc-bpf/lib/bpffs.h"
#include "tc-bpf/lib/pod_ledger.h"
#include "tc-bpf/lib/xdp_attach.h"

namespace tcpulse {

namespace {

// Records are few (pods on one node), so a scan is cheap and needs no second index to keep
// consistent. Compares the two identity fields in place, without converting whole records.
Result<std::optional<int>> scan_for(const PodMap& pods, const std::string& container_id,
                                    const std::string& ifname) {
  std::optional<int> found;
  auto field = [](const char* f, size_t n) { return std::string_view(f, strnlen(f, n)); };
  auto walked = pods.for_each([&](const __u32& ifindex, const tcpulse_pod_info& info) {
    if (!found && field(info.container_id, sizeof(info.container_id)) == container_id &&
        field(info.ifname, sizeof(info.ifname)) == ifname)
      found = static_cast<int>(ifindex);
  });
  if (!walked) return walked.error();
  return found;
}

// Whether the tcx link pinned at `pin` runs on the veth recorded for this attachment.
bool link_is_attachments(const PodMap& pods, const std::filesystem::path& pin,
                         const std::string& container_id, const std::string& ifname) {
  auto link = read_pinned_link(pin);
  if (!link || !link.value() || link.value()->ifindex == 0) return false;
  auto rec = pods.get(link.value()->ifindex);
  return rec && rec.value() &&
         PodRecord::from_abi(*rec.value()).is_attachment(container_id, ifname);
}

// The pin of the attachment's link at hook: its own name, or the name a release up to 0.9 gave
// it when the link there runs on this attachment's veth (that name was shared: never another's).
std::filesystem::path link_pin_of(const PinLayout& layout, const PodMap& pods,
                                  const std::string& container_id, const std::string& ifname,
                                  TcHook hook) {
  auto pin = layout.link(container_id, ifname, hook);
  if (::access(pin.c_str(), F_OK) == 0) return pin;
  auto legacy = layout.legacy_link(container_id, ifname, hook);
  return link_is_attachments(pods, legacy, container_id, ifname) ? legacy : pin;
}

}  // namespace

Result<int> adopt_legacy_link_pins(const PinLayout& layout, const PodMap& pods,
                                   const std::string& container_id, const std::string& ifname) {
  int renamed = 0;
  for (TcHook hook : kTcHooks) {
    auto pin = layout.link(container_id, ifname, hook);
    auto legacy = link_pin_of(layout, pods, container_id, ifname, hook);
    if (legacy == pin) continue;
    if (::rename(legacy.c_str(), pin.c_str()) != 0)
      return errno_error("rename " + legacy.string() + " to " + pin.string());
    renamed++;
  }
  return renamed;
}

Result<PodAttachments> PodAttachments::open(const PinLayout& layout) {
  auto ingress = open_pinned(layout.prog(TcHook::Ingress));
  if (!ingress) return ingress.error();
  auto egress = open_pinned(layout.prog(TcHook::Egress));
  if (!egress) return egress.error();
  auto maps = PodMaps::open(layout);
  if (!maps) return maps.error();
  auto xdp = open_pinned(layout.xdp_prog());
  return PodAttachments(layout, std::move(maps).value(), std::move(ingress).value(),
                        std::move(egress).value(), xdp ? std::move(xdp).value() : UniqueFd());
}

Result<AttachMode> PodAttachments::attach(int host_ifindex, const PodRecord& record,
                                          AttachMode mode) {
  if (auto r = make_pin_dirs(layout_.links_dir()); !r) return r.error();
  auto lock = DirLock::acquire(layout_.root());
  if (!lock) return lock.error();

  __u32 key = host_ifindex;
  auto previous = maps_.pods.get(key);
  if (!previous) return previous.error();
  bool same = previous.value() &&
              PodRecord::from_abi(*previous.value()).is_attachment(record.container_id, record.ifname);
  // A new owner of this ifindex starts from zero, not from the last pod's counters: its events
  // go, and its account opens on what its slot holds now (pod_ledger.h).
  auto existing = maps_.accounts.get(key);
  if (!existing) return existing.error();
  SlotTraffic slot_now{};
  if (!same) {
    if (auto r = maps_.pod_stats.erase(key); !r) return r.error();
    auto slot = maps_.pod_slots.get(pod_slot_index(key));
    if (!slot) return slot.error();
    if (slot.value()) slot_now = owned_slot_traffic(*slot.value(), key);
  }
  tcpulse_pod_account account =
      open_pod_account(existing.value(), same, slot_now, coarse_monotonic_ns());
  // The account first: a record is never exported without one.
  if (auto r = maps_.accounts.put(key, account); !r) return r.error();
  if (auto r = maps_.pods.put(key, record.to_abi()); !r) return r.error();
  // A repeated ADD of a pod an older release attached finds its links under their new names.
  if (same)
    if (auto r = adopt_legacy_link_pins(layout_, maps_.pods, record.container_id, record.ifname); !r)
      return r.error();

  // Sequential on purpose: each tcx attach waits for an RCU grace period while holding RTNL, so
  // attaching the two hooks from two threads gains nothing (measured; docs/performance.md).
  AttachMode used = mode;
  for (TcHook hook : kTcHooks) {
    Result<AttachMode> r = mode;
    if (mode == AttachMode::Xdp && hook == TcHook::Ingress) {
      if (auto x = xdp_.valid() ? attach_xdp(xdp_.get(), host_ifindex)
                                : Result<void>(Error(ENOENT, "the agent pinned no XDP program"));
          !x)
        r = x.error();
    } else {
      int prog = hook == TcHook::Ingress ? ingress_.get() : egress_.get();
      r = attach_program(prog, host_ifindex, hook,
                         layout_.link(record.container_id, record.ifname, hook), mode,
                         TcxPosition::First, layout_.clsact_handle());
      if (r && mode != AttachMode::Xdp) used = r.value();
    }
    if (!r) {
      // Never leave a half-attached pod: undo whatever this call did.
      for (TcHook h : kTcHooks) {
        (void)unpin(layout_.link(record.container_id, record.ifname, h));
        if (mode != AttachMode::Tcx) (void)detach_clsact(host_ifindex, h, layout_.clsact_handle());
      }
      if (mode == AttachMode::Xdp) detach_our_xdp_programs(host_ifindex);
      (void)maps_.pods.erase(key);
      (void)maps_.accounts.erase(key);
      return r.error();
    }
  }
  return used;
}

Result<std::optional<int>> PodAttachments::find(const std::string& container_id,
                                                const std::string& ifname) const {
  // The link pin names the ifindex directly when tcx is in use; fall back to a scan.
  for (TcHook hook : kTcHooks) {
    auto link = read_pinned_link(link_pin_of(layout_, maps_.pods, container_id, ifname, hook));
    if (link && link.value() && link.value()->ifindex != 0) {
      __u32 key = link.value()->ifindex;
      auto rec = maps_.pods.get(key);
      if (rec && rec.value() &&
          PodRecord::from_abi(*rec.value()).is_attachment(container_id, ifname))
        return std::optional<int>(static_cast<int>(key));
    }
  }
  return scan_for(maps_.pods, container_id, ifname);
}

Result<int> PodAttachments::verify(const std::string& container_id,
                                   const std::string& ifname) const {
  auto found = find(container_id, ifname);
  if (!found) return found.error();
  if (!found.value())
    return Error(ENOENT, "no tcpulse record for container " + container_id + " " + ifname);
  int ifindex = *found.value();
  for (TcHook hook : kTcHooks) {
    auto link = read_pinned_link(link_pin_of(layout_, maps_.pods, container_id, ifname, hook));
    if (!link) return link.error();
    bool ok = false;
    if (link.value())
      ok = link.value()->ifindex == static_cast<uint32_t>(ifindex) &&
           is_tcpulse_prog(link.value()->prog_id);
    else if (auto cls = clsact_program(ifindex, hook, layout_.clsact_handle()); cls && cls.value())
      ok = true;
    else if (hook == TcHook::Ingress && our_xdp_program(ifindex))
      ok = true;  // attachMode xdp
    if (!ok)
      return Error(ENOENT, "tcpulse " + std::string(hook_name(hook)) +
                               " program is not attached to host ifindex " +
                               std::to_string(ifindex));
  }
  return ifindex;
}

Result<bool> detach_pod(const PinLayout& layout, const std::string& container_id,
                        const std::string& ifname) {
  bool removed = false;
  std::optional<DirLock> lock;
  if (::access(layout.root().c_str(), F_OK) == 0) {
    auto l = DirLock::acquire(layout.root());
    if (!l) return l.error();
    lock.emplace(std::move(l).value());
  }

  auto maps = PodMaps::open(layout);
  if (!maps && maps.error().code() != ENOENT) return maps.error();
  auto pin_of = [&](TcHook hook) {
    return maps ? link_pin_of(layout, maps->pods, container_id, ifname, hook)
                : layout.link(container_id, ifname, hook);
  };
  std::optional<int> ifindex;
  for (TcHook hook : kTcHooks) {
    auto link = read_pinned_link(pin_of(hook));
    if (link && link.value() && link.value()->ifindex != 0) ifindex = link.value()->ifindex;
  }
  // Dropping the pin, the link's last reference, releases it and the kernel detaches it a grace
  // period later; both hooks at once so those waits overlap. An explicit BPF_LINK_DETACH would be
  // immediate but costs ~30 ms under RTNL (docs/performance.md). If a packet races the release,
  // or someone else briefly holds the link, the counter it recreates has no record: never
  // exported, and swept by the agent's reconciliation.
  auto unpin_hook = [&](TcHook hook) { return unpin(pin_of(hook)); };
  auto egress = std::async(std::launch::async, unpin_hook, TcHook::Egress);
  Result<bool> ingress = unpin_hook(TcHook::Ingress);
  Result<bool> egress_done = egress.get();
  for (const Result<bool>* r : {&ingress, &egress_done}) {
    if (!r->ok()) return r->error();
    removed |= r->value();
  }

  if (!maps) return removed;  // no datapath, no records
  std::optional<int> recorded;
  if (ifindex) {
    auto rec = maps->pods.get(static_cast<__u32>(*ifindex));
    if (rec && rec.value() && PodRecord::from_abi(*rec.value()).is_attachment(container_id, ifname))
      recorded = ifindex;
  }
  if (!recorded) {
    auto scanned = scan_for(maps->pods, container_id, ifname);
    if (!scanned) return scanned.error();
    recorded = scanned.value();
  }
  if (!recorded) return removed;

  __u32 key = *recorded;
  // Attached without link pins means clsact (old kernels): remove our filters from the veth.
  if (!removed)
    for (TcHook hook : kTcHooks) (void)detach_clsact(*recorded, hook, layout.clsact_handle());
  // attachMode xdp: the pod's XDP program is the interface's, not a pinned link's.
  detach_our_xdp_programs(*recorded);
  if (auto r = maps->pods.erase(key); !r) return r.error();
  if (auto r = maps->accounts.erase(key); !r) return r.error();
  if (auto r = maps->pod_stats.erase(key); !r) return r.error();
  return true;
}

}  // namespace tcpulse
