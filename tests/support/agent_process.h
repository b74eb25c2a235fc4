// AgentProcess: a tcpulse-agent started by a test, on an ephemeral loopback port and its own pin
// dir, by default with --cleanup-on-exit. Stopped (by its pid) when the object goes away.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tcpulse::test {

class AgentProcess {
 public:
  // nofile_limit: the agent's RLIMIT_NOFILE (soft and hard), 0 to inherit the test's.
  explicit AgentProcess(std::filesystem::path pin_dir, bool cleanup_on_exit = true,
                        std::vector<std::string> extra_args = {}, unsigned long nofile_limit = 0);
  pid_t pid() const { return pid_; }
  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // Waits until the agent serves; throws with its log if it exits or takes longer than 20 s.
  void wait_ready();
  const std::string& address() const { return address_; }
  // The answer once the agent's model is fresh: after a collection that began after the call
  // (the test agent collects every 0.1 s unless --interval says otherwise).
  std::string get(const std::string& target) const;
  // The answer now, from whatever the model holds.
  std::string get_now(const std::string& target) const;
  // Collections the agent has made (from /healthz).
  uint64_t collections() const;
  // SIGTERM and wait; returns the exit status.
  int stop();
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path dir_;
  std::string address_;
};

// The CNI plugin's queue dir that goes with a test pin dir (unique to it, under /run).
std::filesystem::path state_dir_for(const std::filesystem::path& pin_dir);

std::filesystem::path agent_binary();
std::filesystem::path plugin_binary();
std::filesystem::path installer_binary();
std::filesystem::path source_dir();

}  // namespace tcpulse::test
