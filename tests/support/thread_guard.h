// ThreadGuard: joins a test's helper thread on every way out of the test, a failed ASSERT
// included (a joinable std::thread destroyed would abort the process and leave its netns, pins
// and agent behind). `unblock` first wakes the thread from whatever it waits on (shutting a
// listener or a socket down), so that the join cannot hang.
#pragma once

#include <functional>
#include <thread>

namespace tcpulse::test {

class ThreadGuard {
 public:
  ThreadGuard(std::thread& thread, std::function<void()> unblock = {})
      : thread_(thread), unblock_(std::move(unblock)) {}
  ~ThreadGuard() {
    if (!thread_.joinable()) return;
    if (unblock_) unblock_();
    thread_.join();
  }
  ThreadGuard(const ThreadGuard&) = delete;
  ThreadGuard& operator=(const ThreadGuard&) = delete;

 private:
  std::thread& thread_;
  std::function<void()> unblock_;
};

}  // namespace tcpulse::test
