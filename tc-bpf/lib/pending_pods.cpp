#include "tc-bpf/lib/pending_pods.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/pin_layout.h"
#include "tc-bpf/lib/unique_fd.h"
#include "tc-bpf/lib/untrusted_json.h"

namespace tcpulse {

namespace {

std::filesystem::path pending_dir(const std::filesystem::path& state_dir) {
  return state_dir / "pending";
}

std::filesystem::path pending_file(const std::filesystem::path& state_dir, const std::string& cid,
                                   const std::string& ifname) {
  return pending_dir(state_dir) / (attachment_name(cid, ifname) + ".json");
}

// Releases up to 0.9 named the file lossily (legacy_attachment_name).
std::filesystem::path legacy_pending_file(const std::filesystem::path& state_dir,
                                          const std::string& cid, const std::string& ifname) {
  return pending_dir(state_dir) / (legacy_attachment_name(cid, ifname) + ".json");
}

// A pending file is a few hundred bytes; anything much larger is not one of ours.
constexpr size_t kMaxPendingBytes = 64 * 1024;

Result<void> write_all(int fd, const std::string& text, const std::filesystem::path& path) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_error("write " + path.string());
    done += static_cast<size_t>(n);
  }
  return success();
}

std::optional<PendingPod> pending_from_json(const nlohmann::ordered_json& doc) {
  auto record = PodRecord::from_json(doc);
  auto ifindex = doc.find("host_ifindex");
  if (!record || ifindex == doc.end() || !ifindex->is_number_integer()) return std::nullopt;
  return PendingPod{std::move(*record), ifindex->get<int>()};
}

}  // namespace

Result<void> write_pending(const std::filesystem::path& state_dir, const PendingPod& pod) {
  std::error_code ec;
  std::filesystem::create_directories(pending_dir(state_dir), ec);
  if (ec) return Error(ec.value(), "mkdir " + pending_dir(state_dir).string());
  const auto& r = pod.record;
  nlohmann::json doc = r.to_json();
  doc["host_ifindex"] = pod.host_ifindex;
  auto path = pending_file(state_dir, r.container_id, r.ifname);
  auto tmp = path;
  tmp += ".tmp" + std::to_string(::getpid());
  // The temp file goes whatever fails after it exists: a half-written file must never stay.
  std::string text;
  try {
    text = doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } catch (const std::exception& e) {
    return Error(EINVAL, std::string("encode pending pod: ") + e.what());
  }
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd.valid()) return errno_error("create " + tmp.string());
  Result<void> written = write_all(fd.get(), text, tmp);
  if (written && ::fsync(fd.get()) != 0) written = errno_error("fsync " + tmp.string());
  fd.reset();
  if (written) {
    std::filesystem::rename(tmp, path, ec);
    if (ec) written = Error(ec.value(), "rename " + path.string());
  }
  if (!written) ::unlink(tmp.c_str());
  return written;
}

Result<bool> remove_pending(const std::filesystem::path& state_dir, const std::string& container_id,
                            const std::string& ifname) {
  std::error_code ec;
  bool removed = std::filesystem::remove(pending_file(state_dir, container_id, ifname), ec);
  if (ec) return Error(ec.value(), "remove pending file");
  // An older plugin's file, only if it is this attachment's: its name may be another's too.
  auto legacy = legacy_pending_file(state_dir, container_id, ifname);
  if (auto doc = read_untrusted_json(legacy, kMaxPendingBytes); doc) {
    auto pod = pending_from_json(doc.value());
    if (pod && pod->record.is_attachment(container_id, ifname)) {
      removed |= std::filesystem::remove(legacy, ec);
      if (ec) return Error(ec.value(), "remove pending file");
    }
  }
  return removed;
}

int sweep_pending_temp_files(const std::filesystem::path& state_dir, std::chrono::seconds max_age) {
  int removed = 0;
  std::error_code ec;
  auto now = std::filesystem::file_time_type::clock::now();
  for (const auto& entry : std::filesystem::directory_iterator(pending_dir(state_dir), ec)) {
    if (entry.path().filename().string().find(".json.tmp") == std::string::npos) continue;
    std::error_code stat_ec;
    auto modified = entry.last_write_time(stat_ec);
    if (stat_ec || now - modified < max_age) continue;
    if (std::filesystem::remove(entry.path(), stat_ec)) removed++;
  }
  return removed;
}

std::vector<PendingPod> list_pending(const std::filesystem::path& state_dir,
                                     std::vector<std::filesystem::path>* bad) {
  std::vector<PendingPod> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(pending_dir(state_dir), ec)) {
    if (entry.path().extension() != ".json") continue;
    auto doc = read_untrusted_json(entry.path(), kMaxPendingBytes);
    auto pod = doc ? pending_from_json(doc.value()) : std::nullopt;
    if (pod) out.push_back(std::move(*pod));
    else if (bad) bad->push_back(entry.path());
  }
  return out;
}

}  // namespace tcpulse
