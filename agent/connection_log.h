// ConnectionLog: where connection records go, one JSON line each: a file rotated by size, or
// stdout ("-"). The event loop hands lines over and never waits: a writer thread of its own does
// the I/O, so a slow disk or a stalled pipe reader delays nothing but the log. What cannot be
// written is counted by reason, never fatal: the queue is full (the writer is that far behind),
// the disk is full, the output was closed (a pipe with no reader), another write error.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "tc-bpf/lib/result.h"
#include "tc-bpf/lib/unique_fd.h"

namespace tcpulse::agent {

struct ConnectionLogOptions {
  std::filesystem::path path;             // "-": stdout
  uint64_t max_bytes = 100ULL << 20;      // a file past this is rotated: path -> path.1 -> ...
  unsigned files = 5;                     // files kept, the current one included
  uint64_t queue_bytes = 16ULL << 20;     // lines waiting for the writer, at most
};

enum class LogDrop { QueueFull, DiskFull, OutputClosed, WriteError, Count };
const char* log_drop_name(LogDrop reason);

class ConnectionLog {
 public:
  // Opens (creates) the file now, so that a path that cannot be written is an error at start.
  static Result<std::unique_ptr<ConnectionLog>> open(const ConnectionLogOptions& options);
  ~ConnectionLog();  // writes what is queued, then stops the writer
  ConnectionLog(const ConnectionLog&) = delete;
  ConnectionLog& operator=(const ConnectionLog&) = delete;

  // Queues one line (without its newline). Never blocks on I/O.
  void write(std::string line);
  // Waits until every line queued before the call was written or dropped (tests, shutdown).
  void flush();

  uint64_t written() const { return written_.load(); }
  uint64_t dropped(LogDrop reason) const { return dropped_[static_cast<int>(reason)].load(); }
  uint64_t rotations() const { return rotations_.load(); }

 private:
  ConnectionLog(ConnectionLogOptions options, UniqueFd fd, uint64_t size);
  void run();
  void write_batch(const std::string& batch, uint64_t lines);
  void rotate();

  ConnectionLogOptions options_;
  UniqueFd fd_;           // the writer thread's only
  bool to_stdout_ = false;
  uint64_t file_bytes_ = 0;

  std::mutex mu_;
  std::condition_variable wake_, drained_;
  std::deque<std::string> queue_;
  uint64_t queued_bytes_ = 0;
  uint64_t enqueued_ = 0, done_ = 0;  // lines handed over, lines written or dropped by the writer
  bool stopping_ = false;

  std::atomic<uint64_t> written_{0}, rotations_{0};
  std::atomic<uint64_t> dropped_[static_cast<int>(LogDrop::Count)] = {};
  std::thread writer_;
};

}  // namespace tcpulse::agent
