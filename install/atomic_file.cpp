#include "install/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "install/install_error.h"

namespace tcpulse::install {
namespace {

namespace fs = std::filesystem;

std::string errno_text() { return std::strerror(errno); }

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // the rename is done; durability of the dir entry is best effort
  ::fsync(fd);
  ::close(fd);
}

bool write_all(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InstallError(path.string() + ": cannot read: " + errno_text());
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw InstallError(path.string() + ": read failed");
  return s.str();
}

mode_t file_mode(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw InstallError(path.string() + ": " + errno_text());
  return st.st_mode & 07777;
}

void write_file_atomic(const fs::path& path, const std::string& bytes, mode_t mode) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::string tmpl = (dir / ("." + path.filename().string() + ".tcpulse-XXXXXX")).string();
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) throw InstallError(path.string() + ": cannot write in " + dir.string() + ": " + errno_text());
  bool ok = write_all(fd, bytes) && ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  int saved = errno;
  ok = (::close(fd) == 0) && ok;
  if (ok && ::rename(tmpl.c_str(), path.c_str()) == 0) {
    fsync_dir(dir);
    return;
  }
  if (ok) saved = errno;
  ::unlink(tmpl.c_str());
  throw InstallError(path.string() + ": write failed: " + std::strerror(saved));
}

bool copy_file_atomic(const fs::path& src, const fs::path& dst, mode_t mode) {
  std::string bytes = read_file(src);
  std::error_code ec;
  if (fs::exists(dst, ec)) {
    try {
      if (read_file(dst) == bytes && file_mode(dst) == mode) return false;
    } catch (const InstallError&) {
      // unreadable: replace it
    }
  }
  write_file_atomic(dst, bytes, mode);
  return true;
}

void move_file(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    throw InstallError("cannot move " + from.string() + " to " + to.string() + ": " + errno_text());
  fsync_dir(to.parent_path());
  if (from.parent_path() != to.parent_path()) fsync_dir(from.parent_path());
}

}  // namespace tcpulse::install
