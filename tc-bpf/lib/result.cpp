#include "tc-bpf/lib/result.h"

#include <cstring>
#include <filesystem>

namespace tcpulse {

Error::Error(int errno_value, std::string what, SourceLocation where)
    : code_(errno_value < 0 ? -errno_value : errno_value),
      what_(std::move(what)),
      where_(std::filesystem::path(where.file_name()).filename().string() + ":" +
             std::to_string(where.line())) {}

std::string Error::describe() const {
  std::string out = what_;
  if (code_ != 0) out += std::string(": ") + std::strerror(code_);
  return out + " (" + where_ + ")";
}

Error libbpf_error(long ret, std::string what, SourceLocation where) {
  // libbpf 1.x in strict mode returns -errno; older paths return -1 with errno set.
  int code = ret < -1 ? static_cast<int>(-ret) : errno;
  return Error(code, std::move(what), where);
}

Error errno_error(std::string what, SourceLocation where) {
  return Error(errno, std::move(what), where);
}

}  // namespace tcpulse
