// spawn_child: the one fork + exec of the test support, for commands (command.h), the agent
// (agent_process.h) and background helpers: stdio redirected, extra environment, a descriptor
// limit, and a child that dies with the test process instead of lingering (tests stop children
// only by the pids they started).
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace tcpulse::test {

struct ChildOptions {
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // -1: the test's own
  std::map<std::string, std::string> env;             // added to the test's environment
  unsigned long nofile_limit = 0;                     // RLIMIT_NOFILE soft and hard; 0: the test's
  bool die_with_parent = true;                        // SIGTERM when the test process dies
};

// Starts argv[0] (searched in PATH) with argv; returns its pid. Throws if it cannot fork; a
// program that cannot be executed exits 127.
pid_t spawn_child(const std::vector<std::string>& argv, const ChildOptions& options = {});

// SIGTERM to a child this test started, then waits for it; returns its exit status (128 + the
// signal if killed), or -1 if pid is not a child.
int stop_child(pid_t pid);

}  // namespace tcpulse::test
