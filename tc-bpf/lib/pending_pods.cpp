#include "tc-bpf/lib/pending_pods.h"

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tc-bpf/lib/pin_layout.h"

namespace tcpulse {

namespace {

std::filesystem::path pending_dir(const std::filesystem::path& state_dir) {
  return state_dir / "pending";
}

std::filesystem::path pending_file(const std::filesystem::path& state_dir, const std::string& cid,
                                   const std::string& ifname) {
  return pending_dir(state_dir) / (attachment_name(cid, ifname) + ".json");
}

}  // namespace

Result<void> write_pending(const std::filesystem::path& state_dir, const PendingPod& pod) {
  std::error_code ec;
  std::filesystem::create_directories(pending_dir(state_dir), ec);
  if (ec) return Error(ec.value(), "mkdir " + pending_dir(state_dir).string());
  const auto& r = pod.record;
  nlohmann::json doc = {{"namespace", r.pod_namespace}, {"pod", r.pod_name},
                        {"pod_uid", r.pod_uid},         {"container_id", r.container_id},
                        {"ifname", r.ifname},           {"network", r.network},
                        {"netns_ino", r.netns_ino},     {"added_unix_ns", r.added_unix_ns},
                        {"ips", r.ips},                 {"host_ifindex", pod.host_ifindex}};
  auto path = pending_file(state_dir, r.container_id, r.ifname);
  auto tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    out << doc.dump();
    if (!out) return errno_error("write " + tmp.string());
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Error(ec.value(), "rename " + path.string());
  return success();
}

Result<bool> remove_pending(const std::filesystem::path& state_dir, const std::string& container_id,
                            const std::string& ifname) {
  std::error_code ec;
  bool removed = std::filesystem::remove(pending_file(state_dir, container_id, ifname), ec);
  if (ec) return Error(ec.value(), "remove pending file");
  return removed;
}

std::vector<PendingPod> list_pending(const std::filesystem::path& state_dir,
                                     std::vector<std::filesystem::path>* bad) {
  std::vector<PendingPod> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(pending_dir(state_dir), ec)) {
    if (entry.path().extension() != ".json") continue;
    auto doc = nlohmann::json::parse(std::ifstream(entry.path()), nullptr, false);
    try {
      PendingPod pod;
      auto& r = pod.record;
      r.pod_namespace = doc.at("namespace");
      r.pod_name = doc.at("pod");
      r.pod_uid = doc.at("pod_uid");
      r.container_id = doc.at("container_id");
      r.ifname = doc.at("ifname");
      r.network = doc.at("network");
      r.netns_ino = doc.at("netns_ino");
      r.added_unix_ns = doc.at("added_unix_ns");
      r.ips = doc.at("ips").get<std::vector<std::string>>();
      pod.host_ifindex = doc.at("host_ifindex");
      out.push_back(std::move(pod));
    } catch (const nlohmann::json::exception&) {
      if (bad) bad->push_back(entry.path());
    }
  }
  return out;
}

}  // namespace tcpulse
