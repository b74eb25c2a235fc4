// ResponseCoalescer: an HTTP route that answers a flood of identical requests from one recent
// render instead of rendering each. Until issue-16's collector, /metrics, /pods and /flows walk
// the BPF maps on every request (~1-2 ms each with no pods); a few hundred clients asking in a
// loop would keep the event loop busy and a real scraper waiting. Below `budget` renders a second
// nothing changes: every request renders, so tests and Prometheus see fresh values. Past it, a
// request gets the last answer for the same target if it is younger than `max_age`.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <string>

#include "agent/http_server.h"

namespace tcpulse::agent {

class ResponseCoalescer {
 public:
  using Clock = std::chrono::steady_clock;

  ResponseCoalescer(HttpHandler render, size_t budget_per_second = 10,
                    Clock::duration max_age = std::chrono::milliseconds(500))
      : render_(std::move(render)), budget_(budget_per_second), max_age_(max_age) {}

  HttpResponse operator()(const std::string& target, Clock::time_point now = Clock::now());
  uint64_t coalesced() const { return coalesced_; }

 private:
  struct Cached {
    HttpResponse response;
    Clock::time_point at;
  };
  HttpHandler render_;
  size_t budget_;
  Clock::duration max_age_;
  std::deque<Clock::time_point> recent_;  // renders in the last second
  std::map<std::string, Cached> cache_;   // a few targets at most: bounded below
  uint64_t coalesced_ = 0;
};

}  // namespace tcpulse::agent
