#include "install/chain_watch.h"

#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <deque>

#include "install/install_error.h"

namespace tcpulse::install {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSettle = std::chrono::milliseconds(100);
constexpr auto kResync = std::chrono::seconds(60);
constexpr size_t kWritesPerMinute = 6;

void log(const std::string& line) { std::fprintf(stderr, "tcpulse-install: %s\n", line.c_str()); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Whether any event in the buffer concerns a file a CNI loader reads or our binary (the
// installer's own temp files are hidden, and its state dir is a subdirectory).
bool relevant(const char* buf, ssize_t len) {
  bool any = false;
  for (const char* p = buf; p < buf + len;) {
    const auto* ev = reinterpret_cast<const inotify_event*>(p);
    if (ev->mask & IN_Q_OVERFLOW) return true;
    if (ev->len == 0 || ev->name[0] != '.') any = true;
    p += sizeof(inotify_event) + ev->len;
  }
  return any;
}

}  // namespace

int watch_chain(ChainInstaller& installer, const InstallOptions& install, const WatchOptions& watch) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  Fd signals(::signalfd(-1, &mask, SFD_CLOEXEC));
  Fd inotify(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (signals.get() < 0 || inotify.get() < 0) {
    log("cannot set up signalfd/inotify");
    return 1;
  }
  constexpr uint32_t kEvents = IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB;
  if (::inotify_add_watch(inotify.get(), install.conf_dir.c_str(), kEvents | IN_ONLYDIR) < 0) {
    log(install.conf_dir.string() + ": cannot watch: " + std::strerror(errno));
    return 1;
  }
  bool bin_watched = false;

  std::deque<Clock::time_point> writes;
  std::string last_error;  // the install error logged last (each is logged once)
  bool limited = false;    // waiting out the write limit
  auto next_check = Clock::now();  // check at once
  while (true) {
    auto now = Clock::now();
    if (now >= next_check) {
      while (!writes.empty() && now - writes.front() > std::chrono::minutes(1)) writes.pop_front();
      if (writes.size() >= kWritesPerMinute) {
        next_check = writes.front() + std::chrono::minutes(1);
        if (!limited)
          log("wrote " + std::to_string(writes.size()) +
              " times in the last minute: another writer keeps removing tcpulse; waiting before the next");
        limited = true;
      } else {
        limited = false;
        try {
          InstallOutcome out = installer.install();
          if (out.reinserted)
            log(out.config.string() + " was rewritten without tcpulse: re-chained (re-insertion " +
                std::to_string(out.reinsertions) + " on this node)");
          else
            for (const auto& n : out.notes) log(n);
          if (out.wrote_config || out.wrote_binary) writes.push_back(Clock::now());
          if (!last_error.empty()) log("chained again after: " + last_error);
          last_error.clear();
        } catch (const InstallError& e) {
          // The primary CNI may not have written its config yet, or be half-way: wait for it.
          if (e.what() != last_error) log(std::string(e.what()) + " (waiting for a change)");
          last_error = e.what();
        }
        next_check = Clock::now() + kResync;
      }
      if (!bin_watched)
        bin_watched = ::inotify_add_watch(inotify.get(), install.bin_dir.c_str(), IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR) >= 0;
    }

    pollfd fds[2] = {{signals.get(), POLLIN, 0}, {inotify.get(), POLLIN, 0}};
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_check - Clock::now()).count();
    int n = ::poll(fds, 2, static_cast<int>(std::max<long long>(wait, 0)));
    if (n < 0 && errno != EINTR) {
      log(std::string("poll: ") + std::strerror(errno));
      return 1;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si{};
      (void)!::read(signals.get(), &si, sizeof si);
      if (!watch.uninstall_on_exit) return 0;
      try {
        for (const auto& d : installer.uninstall()) log(d);
        return 0;
      } catch (const InstallError& e) {
        log(std::string("uninstall: ") + e.what());
        return 1;
      }
    }
    if (fds[1].revents & POLLIN) {
      alignas(inotify_event) char buf[8192];
      bool changed = false;
      for (ssize_t len; (len = ::read(inotify.get(), buf, sizeof buf)) > 0;) changed |= relevant(buf, len);
      // A change settles first (a writer may rename several files), and is not held back by
      // the resync timer; while limited, the limit's end is the next check.
      if (changed && !limited)
        next_check = std::min(next_check, Clock::now() + kSettle);
    }
  }
}

}  // namespace tcpulse::install
