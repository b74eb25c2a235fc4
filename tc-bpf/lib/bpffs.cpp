#include "tc-bpf/lib/bpffs.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>

namespace tcpulse {

Result<void> check_bpffs(const std::filesystem::path& path) {
  std::filesystem::path probe = path;
  while (!probe.empty() && ::access(probe.c_str(), F_OK) != 0) probe = probe.parent_path();
  if (probe.empty()) probe = "/";
  struct statfs st {};
  if (::statfs(probe.c_str(), &st) != 0) return errno_error("statfs " + probe.string());
  if (st.f_type != BPF_FS_MAGIC)
    return Error(ENOTSUP, probe.string() + " is not on a bpffs mount (mount -t bpf bpf /sys/fs/bpf)");
  return success();
}

Result<void> make_pin_dirs(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error(ec.value(), "mkdir " + dir.string());
  return success();
}

Result<UniqueFd> open_pinned(const std::filesystem::path& path) {
  int fd = bpf_obj_get(path.c_str());
  if (fd < 0) return libbpf_error(fd, "open pinned " + path.string());
  return UniqueFd(fd);
}

Result<void> pin_new(int fd, const std::filesystem::path& path) {
  int ret = bpf_obj_pin(fd, path.c_str());
  if (ret < 0) return libbpf_error(ret, "pin " + path.string());
  return success();
}

Result<void> pin_replace(int fd, const std::filesystem::path& path) {
  // bpffs refuses names containing '.', so the temporary name uses '_'.
  std::filesystem::path tmp = path;
  tmp += "_tmp_" + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  if (auto r = pin_new(fd, tmp); !r) return r;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error err = errno_error("rename pin to " + path.string());
    ::unlink(tmp.c_str());
    return err;
  }
  return success();
}

Result<bool> unpin(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return errno_error("unpin " + path.string());
}

Result<DirLock> DirLock::acquire(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + dir.string() + " to lock it");
  UniqueFd owned(fd);
  while (::flock(fd, LOCK_EX) != 0) {
    if (errno != EINTR) return errno_error("flock " + dir.string());
  }
  return DirLock(std::move(owned));
}

}  // namespace tcpulse
