#include "tc-bpf/lib/net_link.h"

#include <fcntl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstring>
#include <thread>

#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse {

namespace {

void parse_linkinfo(const rtattr* nested, NetLink& link) {
  int len = RTA_PAYLOAD(nested);
  for (auto* a = static_cast<const rtattr*>(RTA_DATA(nested)); RTA_OK(a, len);
       a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_INFO_KIND)
      link.kind = std::string(static_cast<const char*>(RTA_DATA(a)),
                              strnlen(static_cast<const char*>(RTA_DATA(a)), RTA_PAYLOAD(a)));
  }
}

Result<NetLink> get_link(int ifindex, const std::string& name) {
  if (name.size() >= IFNAMSIZ) return Error(EINVAL, "interface name too long: " + name);
  int sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (sock < 0) return errno_error("open rtnetlink socket");
  UniqueFd owned(sock);

  struct {
    nlmsghdr nh;
    ifinfomsg ifi;
    char attrs[RTA_SPACE(IFNAMSIZ)];
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
  req.nh.nlmsg_type = RTM_GETLINK;
  req.nh.nlmsg_flags = NLM_F_REQUEST;
  req.nh.nlmsg_seq = 1;
  req.ifi.ifi_family = AF_UNSPEC;
  req.ifi.ifi_index = ifindex;
  if (!name.empty()) {
    auto* a = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.nh.nlmsg_len));
    a->rta_type = IFLA_IFNAME;
    a->rta_len = RTA_LENGTH(name.size() + 1);
    std::memcpy(RTA_DATA(a), name.c_str(), name.size() + 1);
    req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
  }
  if (::send(sock, &req, req.nh.nlmsg_len, 0) < 0) return errno_error("send RTM_GETLINK");

  alignas(nlmsghdr) char buf[32768];
  ssize_t n = ::recv(sock, buf, sizeof(buf), 0);
  if (n < 0) return errno_error("receive RTM_GETLINK reply");
  std::string what = name.empty() ? "ifindex " + std::to_string(ifindex) : name;
  for (auto* nh = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
    if (nh->nlmsg_type == NLMSG_ERROR) {
      auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(nh));
      return Error(err->error ? -err->error : EPROTO, "look up interface " + what);
    }
    if (nh->nlmsg_type != RTM_NEWLINK) continue;
    auto* ifi = static_cast<ifinfomsg*>(NLMSG_DATA(nh));
    NetLink link;
    link.ifindex = ifi->ifi_index;
    int len = IFLA_PAYLOAD(nh);
    for (auto* a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
      switch (a->rta_type) {
        case IFLA_IFNAME:
          link.name = static_cast<const char*>(RTA_DATA(a));
          break;
        case IFLA_LINK:
          std::memcpy(&link.peer_ifindex, RTA_DATA(a), sizeof(int));
          break;
        case IFLA_LINKINFO:
          parse_linkinfo(a, link);
          break;
      }
    }
    return link;
  }
  return Error(EPROTO, "no RTM_NEWLINK in reply for " + what);
}

}  // namespace

Result<NetLink> find_link(const std::string& name) { return get_link(0, name); }
Result<NetLink> find_link(int ifindex) { return get_link(ifindex, ""); }

Result<void> run_in_netns(const std::filesystem::path& netns_path,
                          const std::function<Result<void>()>& fn, uint64_t* netns_ino) {
  int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open network namespace " + netns_path.string());
  UniqueFd ns(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error("stat " + netns_path.string());
  if (netns_ino) *netns_ino = st.st_ino;

  // setns() changes only the calling thread's namespace; a fresh thread keeps ours untouched.
  Result<void> result = success();
  std::thread worker([&] {
    if (::setns(fd, CLONE_NEWNET) != 0) {
      result = errno_error("enter network namespace " + netns_path.string());
      return;
    }
    result = fn();
  });
  worker.join();
  return result;
}

bool veth_exists(int ifindex) {
  auto link = find_link(ifindex);
  return link && link->kind == "veth";
}

}  // namespace tcpulse
