#include "agent/connection_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace tcpulse::agent {

const char* log_drop_name(LogDrop reason) {
  switch (reason) {
    case LogDrop::QueueFull: return "queue_full";
    case LogDrop::DiskFull: return "disk_full";
    case LogDrop::OutputClosed: return "output_closed";
    case LogDrop::WriteError: return "write_error";
    case LogDrop::Count: break;
  }
  return "unknown";
}

namespace {

UniqueFd open_log_file(const std::filesystem::path& path, bool truncate) {
  return UniqueFd(::open(path.c_str(),
                         O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0640));
}

std::filesystem::path numbered(const std::filesystem::path& path, unsigned n) {
  std::filesystem::path p = path;
  p += "." + std::to_string(n);
  return p;
}

}  // namespace

Result<std::unique_ptr<ConnectionLog>> ConnectionLog::open(const ConnectionLogOptions& options) {
  if (options.path == "-") {
    UniqueFd out(fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3));
    if (!out.valid()) return Error(errno, "duplicate stdout for the connection log");
    auto log = std::unique_ptr<ConnectionLog>(new ConnectionLog(options, std::move(out), 0));
    log->to_stdout_ = true;
    return log;
  }
  UniqueFd fd = open_log_file(options.path, false);
  if (!fd.valid()) return Error(errno, "open connection log " + options.path.string());
  struct stat st {};
  uint64_t size = fstat(fd.get(), &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : 0;
  return std::unique_ptr<ConnectionLog>(new ConnectionLog(options, std::move(fd), size));
}

ConnectionLog::ConnectionLog(ConnectionLogOptions options, UniqueFd fd, uint64_t size)
    : options_(std::move(options)), fd_(std::move(fd)), file_bytes_(size) {
  writer_ = std::thread([this] { run(); });
}

ConnectionLog::~ConnectionLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void ConnectionLog::write(std::string line) {
  {
    std::lock_guard lock(mu_);
    if (queued_bytes_ + line.size() + 1 > options_.queue_bytes) {
      dropped_[static_cast<int>(LogDrop::QueueFull)]++;
      return;
    }
    queued_bytes_ += line.size() + 1;
    line += '\n';
    queue_.push_back(std::move(line));
    enqueued_++;
  }
  wake_.notify_one();
}

void ConnectionLog::flush() {
  std::unique_lock lock(mu_);
  uint64_t target = enqueued_;
  drained_.wait(lock, [&] { return done_ >= target; });
}

void ConnectionLog::run() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::deque<std::string> lines;
    lines.swap(queue_);
    queued_bytes_ = 0;
    lock.unlock();
    // Lines go out in batches that never straddle a rotation: a file holds whole lines only.
    std::string batch;
    uint64_t in_batch = 0;
    for (auto& line : lines) {
      if (!to_stdout_ && file_bytes_ + batch.size() + line.size() > options_.max_bytes &&
          file_bytes_ + batch.size() > 0) {
        write_batch(batch, in_batch);
        batch.clear();
        in_batch = 0;
        rotate();
      }
      batch += line;
      in_batch++;
    }
    write_batch(batch, in_batch);
    lock.lock();
    done_ += lines.size();
    drained_.notify_all();
  }
}

void ConnectionLog::write_batch(const std::string& batch, uint64_t lines) {
  if (lines == 0) return;
  size_t off = 0;
  while (off < batch.size()) {
    ssize_t n = ::write(fd_.get(), batch.data() + off, batch.size() - off);
    if (n > 0) {
      off += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    LogDrop reason = errno == ENOSPC || errno == EDQUOT ? LogDrop::DiskFull
                     : errno == EPIPE                   ? LogDrop::OutputClosed
                                                        : LogDrop::WriteError;
    // The lines not wholly written are lost; those before them were written.
    uint64_t whole = 0;
    for (size_t i = 0; i < off; i++)
      if (batch[i] == '\n') whole++;
    written_ += whole;
    dropped_[static_cast<int>(reason)] += lines - whole;
    file_bytes_ += off;
    return;
  }
  written_ += lines;
  file_bytes_ += batch.size();
}

void ConnectionLog::rotate() {
  struct stat st {};
  if (fstat(fd_.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    file_bytes_ = 0;  // a device or a pipe: nothing to rotate
    return;
  }
  std::error_code ec;
  if (options_.files > 1) {
    for (unsigned n = options_.files - 1; n > 1; n--)
      std::filesystem::rename(numbered(options_.path, n - 1), numbered(options_.path, n), ec);
    std::filesystem::rename(options_.path, numbered(options_.path, 1), ec);
  }
  UniqueFd fresh = open_log_file(options_.path, true);
  if (fresh.valid()) fd_ = std::move(fresh);
  file_bytes_ = 0;
  rotations_++;
}

}  // namespace tcpulse::agent
