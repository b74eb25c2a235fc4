#include "agent/response_coalescer.h"

namespace tcpulse::agent {

namespace {
// Distinct targets remembered (query strings make them many); the oldest goes first.
constexpr size_t kMaxCachedTargets = 16;
}  // namespace

HttpResponse ResponseCoalescer::operator()(const std::string& target, Clock::time_point now) {
  while (!recent_.empty() && now - recent_.front() >= std::chrono::seconds(1)) recent_.pop_front();
  if (recent_.size() >= budget_) {
    auto it = cache_.find(target);
    if (it != cache_.end() && now - it->second.at < max_age_) {
      coalesced_++;
      return it->second.response;
    }
  }
  HttpResponse response = render_(target);
  recent_.push_back(now);
  if (response.status != 200 || response.stream) return response;  // a stream is read once
  if (cache_.size() >= kMaxCachedTargets && !cache_.count(target)) {
    auto oldest = cache_.begin();
    for (auto it = cache_.begin(); it != cache_.end(); ++it)
      if (it->second.at < oldest->second.at) oldest = it;
    cache_.erase(oldest);
  }
  cache_[target] = {response, now};
  return response;
}

}  // namespace tcpulse::agent
