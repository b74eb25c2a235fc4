#include "tests/support/tmux_session.h"

#include <unistd.h>

#include <atomic>
#include <sstream>

#include "tests/support/command.h"
#include "tests/support/eventually.h"

namespace tcpulse::test {

TmuxSession::TmuxSession(int width, int height) {
  static std::atomic<int> sessions{0};
  socket_ = "tcpulse-test-" + std::to_string(getpid()) + "-" + std::to_string(sessions++);
  run_checked({"tmux", "-L", socket_, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", std::to_string(width),
               "-y", std::to_string(height), "env", "PS1=$ ", "TERM=xterm-256color", "sh"});
}

TmuxSession::~TmuxSession() { run_command({"tmux", "-L", socket_, "kill-server"}); }

void TmuxSession::keys(const std::vector<std::string>& keys) {
  std::vector<std::string> argv = {"tmux", "-L", socket_, "send-keys", "-t", "t"};
  argv.insert(argv.end(), keys.begin(), keys.end());
  run_checked(argv);
}

std::string TmuxSession::screen() { return run_command({"tmux", "-L", socket_, "capture-pane", "-p", "-t", "t"}).out; }

void TmuxSession::resize(int width, int height) {
  run_checked({"tmux", "-L", socket_, "resize-window", "-t", "t", "-x", std::to_string(width), "-y", std::to_string(height)});
}

bool TmuxSession::shows(const std::string& text, double seconds) {
  return eventually([&] { return screen().find(text) != std::string::npos; }, seconds);
}

bool tmux_available() { return run_command({"tmux", "-V"}).exit_code == 0; }

std::string line_with(const std::string& screen, const std::string& text) {
  std::istringstream in(screen);
  for (std::string line; std::getline(in, line);)
    if (line.find(text) != std::string::npos) return line;
  return "";
}

}  // namespace tcpulse::test
