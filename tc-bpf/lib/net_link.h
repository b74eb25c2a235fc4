// NetLink: a network interface as rtnetlink reports it, looked up in the calling thread's network
// namespace; and run_in_netns(), which runs a function inside another network namespace on a
// thread of its own so the caller's namespace never changes.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "tc-bpf/lib/result.h"

namespace tcpulse {

struct NetLink {
  int ifindex = 0;
  std::string name;
  std::string kind;      // IFLA_INFO_KIND: "veth", "bridge", "macvlan", ... ("" for physical)
  int peer_ifindex = 0;  // IFLA_LINK: for a veth, the peer's ifindex (in the peer's namespace)
};

// ENODEV if there is no such interface.
Result<NetLink> find_link(const std::string& name);
Result<NetLink> find_link(int ifindex);
// Whether ifindex is a veth here. A vanished pod's veth pair is destroyed with its netns.
bool veth_exists(int ifindex);

// Runs fn with the calling thread's network namespace set to the one at netns_path. Also reports
// the namespace's inode number (its identity) through netns_ino.
Result<void> run_in_netns(const std::filesystem::path& netns_path,
                          const std::function<Result<void>()>& fn, uint64_t* netns_ino);

}  // namespace tcpulse
