// eventually(): polls a condition until it holds or a deadline passes. For state that converges
// asynchronously (the agent's reconciliation, a container starting), never for timing a result.
#pragma once

#include <chrono>
#include <thread>

namespace tcpulse::test {

template <typename Pred>
bool eventually(Pred pred, double seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

}  // namespace tcpulse::test
