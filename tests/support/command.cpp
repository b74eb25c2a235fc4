#include "tests/support/command.h"

#include "tests/support/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

extern char** environ;

namespace tcpulse::test {

CommandResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text,
                          const std::map<std::string, std::string>& env) {
  // A child that stops reading its stdin (as tcpulse does past its input limit) must give us
  // EPIPE, not kill the test process.
  signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe");
  ChildOptions options;
  options.stdin_fd = in[0];
  options.stdout_fd = out[1];
  options.stderr_fd = err[1];
  options.env = env;
  pid_t pid = spawn_child(argv, options);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Write stdin while draining the outputs, so large inputs or outputs cannot deadlock.
  size_t written = 0;
  if (stdin_text.empty()) close(in[1]);
  CommandResult result;
  bool in_open = !stdin_text.empty(), out_open = true, err_open = true;
  if (in_open) fcntl(in[1], F_SETFL, O_NONBLOCK);
  while (out_open || err_open) {
    pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in_open ? in[1] : -1, POLLOUT, 0}};
    poll(fds, 3, -1);
    char buf[65536];
    if (fds[0].revents) {
      ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0) out_open = false; else result.out.append(buf, n);
    }
    if (fds[1].revents) {
      ssize_t n = read(err[0], buf, sizeof(buf));
      if (n <= 0) err_open = false; else result.err.append(buf, n);
    }
    if (in_open && fds[2].revents) {
      ssize_t n = write(in[1], stdin_text.data() + written, stdin_text.size() - written);
      if (n > 0) written += n;
      if (n < 0 || written == stdin_text.size()) {
        close(in[1]);
        in_open = false;
      }
    }
  }
  if (in_open) close(in[1]);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string run_checked(const std::vector<std::string>& argv, const std::string& stdin_text,
                        const std::map<std::string, std::string>& env) {
  auto r = run_command(argv, stdin_text, env);
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += a + " ";
    throw std::runtime_error(cmd + "exited " + std::to_string(r.exit_code) + ": " + r.err + r.out);
  }
  return r.out;
}

}  // namespace tcpulse::test
