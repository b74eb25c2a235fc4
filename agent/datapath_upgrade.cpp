#include "agent/datapath_upgrade.h"

#include <bpf/bpf.h>

#include <charconv>
#include <cstring>
#include <optional>

#include "tc-bpf/lib/bpffs.h"
#include "agent/datapath_maps.h"
#include "tc-bpf/lib/net_link.h"
#include "tc-bpf/lib/pod_attachment.h"
#include "tc-bpf/lib/tc_attach.h"
#include "tc-bpf/lib/xdp_attach.h"
#include "tcpulse/abi.h"

namespace tcpulse {

namespace {

// N for a directory named "vN".
std::optional<unsigned> abi_version_of(const std::string& name) {
  unsigned version = 0;
  if (name.size() < 2 || name[0] != 'v') return std::nullopt;
  auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), version);
  if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
  return version;
}

// Every record of a pod map, with its host ifindex: copied out before attaching changes any map.
Result<std::vector<std::pair<int, PodRecord>>> recorded_pods(const PodMap& records) {
  std::vector<std::pair<int, PodRecord>> pods;
  auto walked = records.for_each([&](const __u32& ifindex, const tcpulse_pod_info& info) {
    if (tcpulse_is_host_pod_key(ifindex)) return;  // no veth to attach: HostPods finds it again
    pods.emplace_back(static_cast<int>(ifindex), PodRecord::from_abi(info));
  });
  if (!walked) return walked.error();
  return pods;
}

// The records of an older datapath's pod map. Up to ABI v9 the pod's counter bases followed its
// identity fields in the same record; v10 moved them to their own map and left the identity
// fields where they were, so an older record's first sizeof(tcpulse_pod_info) bytes are today's.
Result<std::vector<std::pair<int, PodRecord>>> older_records(int fd) {
  bpf_map_info info{};
  __u32 len = sizeof(info);
  if (int ret = bpf_obj_get_info_by_fd(fd, &info, &len); ret < 0)
    return libbpf_error(ret, "get info of the older pod map");
  if (info.key_size != sizeof(__u32) || info.value_size < sizeof(tcpulse_pod_info))
    return Error(EPROTO, "older pod records of " + std::to_string(info.value_size) +
                             " bytes: not a layout this version reads");
  std::vector<std::pair<int, PodRecord>> pods;
  std::vector<uint8_t> value(info.value_size);
  __u32 key = 0, next = 0;
  const __u32* prev = nullptr;
  while (true) {
    int ret = bpf_map_get_next_key(fd, prev, &next);
    if (ret < 0) {
      if (ret == -ENOENT || errno == ENOENT) return pods;
      return libbpf_error(ret, "walk the older pod map");
    }
    if (!tcpulse_is_host_pod_key(next) && bpf_map_lookup_elem(fd, &next, value.data()) == 0) {
      tcpulse_pod_info record{};
      memcpy(&record, value.data(), sizeof(record));
      pods.emplace_back(static_cast<int>(next), PodRecord::from_abi(record));
    }
    key = next;
    prev = &key;
  }
}

// Attaches the pods of the old datapath's records to the current one.
void move_pods(const PinLayout& old, PodAttachments& current, UpgradeReport& report) {
  auto fd = open_pinned(old.map(kPodsMap));
  if (!fd) return;  // no records: nothing was attached there
  auto records = older_records(fd->get());
  if (!records) {
    report.problems.push_back("pod records of " + old.root().string() +
                              " are not readable by this version (" +
                              records.error().describe() + "): adopted from the CNI cache, if any");
    return;
  }
  for (const auto& [ifindex, record] : records.value()) {
    if (!veth_exists(ifindex)) continue;
    auto known = current.find(record.container_id, record.ifname);
    if (known && known.value()) continue;
    // An older datapath's XDP program (attachMode xdp) would count the pod twice beside the new
    // tc programs: it leaves with the older datapath.
    detach_our_xdp_programs(ifindex);
    if (auto mode = current.attach(ifindex, record, AttachMode::Auto); mode) report.moved_pods++;
    else report.problems.push_back("move " + record.pod_name + ": " + mode.error().describe());
  }
}

// Links pinned by a release up to 0.9 take their own names, where refresh, CHECK and DEL look.
// Under the writers' lock, so that no DEL unpins a link while it is renamed.
void rename_legacy_link_pins(const PinLayout& layout, PodAttachments& attachments,
                             UpgradeReport& report) {
  auto lock = DirLock::acquire(layout.root());
  if (!lock) {
    report.problems.push_back("rename link pins: " + lock.error().describe());
    return;
  }
  auto pods = recorded_pods(attachments.maps().pods);
  if (!pods) {
    report.problems.push_back("rename link pins: " + pods.error().describe());
    return;
  }
  for (const auto& [ifindex, record] : pods.value()) {
    auto renamed = adopt_legacy_link_pins(layout, attachments.maps().pods, record.container_id,
                                          record.ifname);
    if (!renamed)
      report.problems.push_back("rename link pins of " + record.pod_name + ": " +
                                renamed.error().describe());
  }
}

// Switches every recorded attachment whose programs are other code to the ones pinned now.
void refresh_programs(const PinLayout& layout, PodAttachments& attachments, UpgradeReport& report) {
  auto recorded = recorded_pods(attachments.maps().pods);
  if (!recorded) {
    report.problems.push_back("refresh programs: " + recorded.error().describe());
    return;
  }
  const auto& pods = recorded.value();
  for (TcHook hook : kTcHooks) {
    auto prog = open_pinned(layout.prog(hook));
    if (!prog) {
      report.problems.push_back("open program " + layout.prog(hook).string() + ": " +
                                prog.error().describe());
      continue;
    }
    uint32_t current = prog_id_of(prog->get());
    for (const auto& [ifindex, record] : pods) {
      auto pin = layout.link(record.container_id, record.ifname, hook);
      auto link = read_pinned_link(pin);
      Result<void> done = success();
      if (link && link.value()) {  // tcx
        if (link.value()->ifindex == 0 || same_program(link.value()->prog_id, current))
          continue;
        done = update_link_program(pin, prog->get());
      } else {  // clsact, or not attached at this hook
        auto filter = clsact_program(ifindex, hook, layout.clsact_handle());
        if (!filter || !filter.value() || same_program(*filter.value(), current)) continue;
        auto mode = attach_program(prog->get(), ifindex, hook, pin, AttachMode::Clsact,
                                   TcxPosition::First, layout.clsact_handle());
        if (!mode) done = mode.error();
      }
      if (done) report.refreshed++;
      else report.problems.push_back("refresh " + record.pod_name + ": " + done.error().describe());
    }
  }
}

}  // namespace

UpgradeReport upgrade_attachments(const PinLayout& current) {
  UpgradeReport report;
  auto attachments = PodAttachments::open(current);
  if (!attachments) {
    report.problems.push_back("datapath not open: " + attachments.error().describe());
    return report;
  }
  rename_legacy_link_pins(current, attachments.value(), report);
  refresh_programs(current, attachments.value(), report);
  std::vector<unsigned> older;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(current.base(), ec)) {
    auto version = abi_version_of(entry.path().filename().string());
    if (version && *version < TCPULSE_ABI_VERSION && entry.is_directory()) older.push_back(*version);
  }
  for (unsigned version : older) {
    PinLayout old(current.base(), version);
    move_pods(old, attachments.value(), report);
    // The link pins are the old links' last references: removing them detaches the programs.
    // (clsact filters were replaced in place by the attach above.)
    std::filesystem::remove_all(old.root(), ec);
    if (ec) report.problems.push_back("remove " + old.root().string() + ": " + ec.message());
    else report.retired_versions++;
  }
  return report;
}

}  // namespace tcpulse
