// PinLayout: where tcpulse's objects live in bpffs. The one place that knows the directory shape.
//
//   <base>/v<ABI>/maps/<map name>           maps, pinned by name by the agent
//   <base>/v<ABI>/progs/{ingress,egress,xdp}  programs, pinned by the agent, attached by the plugin
//   <base>/v<ABI>/links/<attachment>_{ingress,egress}   one tcx link per pod interface, named by
//                                                       attachment_name(container id, ifname)
//   <base>/v<ABI>                           itself flock'ed by writers
//
// The ABI version in the path means an upgrade that changes the map layout never reuses old maps.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "tc-bpf/lib/tc_attach.h"
#include "tc-bpf/lib/tc_hook.h"

namespace tcpulse {

inline constexpr std::string_view kDefaultPinBase = "/sys/fs/bpf/tcpulse";

class PinLayout {
 public:
  explicit PinLayout(std::filesystem::path base = std::filesystem::path(kDefaultPinBase));
  // Another ABI version's directory under the same base (an upgrade retiring an older datapath).
  PinLayout(std::filesystem::path base, unsigned abi_version);

  const std::filesystem::path& base() const { return base_; }
  // The cls_bpf handle of this pin base's filters: kDefaultClsactHandle for the default base (as
  // releases up to 0.9 attached), else one derived from the base's path (0x7464xxxx), so that
  // two datapaths on one veth each find and remove only their own filter.
  uint32_t clsact_handle() const;
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path maps_dir() const { return root_ / "maps"; }
  std::filesystem::path map(std::string_view name) const { return maps_dir() / name; }
  std::filesystem::path progs_dir() const { return root_ / "progs"; }
  std::filesystem::path prog(TcHook hook) const;
  // The XDP program for what a pod sends (attachMode xdp).
  std::filesystem::path xdp_prog() const { return progs_dir() / "xdp"; }
  std::filesystem::path links_dir() const { return root_ / "links"; }
  // The pin of the link attaching one pod interface (container id + ifname inside the pod).
  std::filesystem::path link(std::string_view container_id, std::string_view ifname,
                             TcHook hook) const;
  // Where releases up to 0.9 pinned that link (legacy_attachment_name): DEL, CHECK and the
  // agent's migration still find pods attached by them.
  std::filesystem::path legacy_link(std::string_view container_id, std::string_view ifname,
                                    TcHook hook) const;

 private:
  std::filesystem::path base_;
  std::filesystem::path root_;
};

// A container id + ifname as a bpffs file name (no '/', no '.'), one to one: two attachments
// never share a name. The container id keeps its characters but '.', which becomes '+'; the
// ifname keeps [A-Za-z0-9_-]; every other byte of either is %XX; an '@' joins them. For an
// attachment PodRecord can record (a spec container id, a short ifname) it is at most 173 bytes.
std::string attachment_name(std::string_view container_id, std::string_view ifname);

// The name releases up to 0.9 used: '.' and '-' (and any odd byte) alike became '-', so two
// containers could share it. Never contains '@'.
std::string legacy_attachment_name(std::string_view container_id, std::string_view ifname);

}  // namespace tcpulse
