#include "tests/support/child_process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tcpulse::test {

pid_t spawn_child(const std::vector<std::string>& argv, const ChildOptions& options) {
  if (argv.empty()) throw std::invalid_argument("spawn_child: no program");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid > 0) return pid;
  // The child: only async-signal-safe calls until exec, as the test may have threads.
  if (options.die_with_parent) prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (options.stdin_fd >= 0) dup2(options.stdin_fd, 0);
  if (options.stdout_fd >= 0) dup2(options.stdout_fd, 1);
  if (options.stderr_fd >= 0) dup2(options.stderr_fd, 2);
  if (options.nofile_limit) {
    rlimit limit{options.nofile_limit, options.nofile_limit};
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  for (const auto& [k, v] : options.env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

int stop_child(pid_t pid) {
  if (pid <= 0) return -1;
  kill(pid, SIGTERM);
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace tcpulse::test
