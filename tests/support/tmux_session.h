// TmuxSession: a terminal for tests of full-screen programs — a tmux server on a socket of this
// test's own, one window running `sh`, keys sent with send-keys and the screen read with
// capture-pane; the server is killed (by its socket, never by name) when the object goes away.
#pragma once

#include <string>
#include <vector>

namespace tcpulse::test {

class TmuxSession {
 public:
  explicit TmuxSession(int width = 180, int height = 40);
  ~TmuxSession();
  TmuxSession(const TmuxSession&) = delete;
  TmuxSession& operator=(const TmuxSession&) = delete;

  void keys(const std::vector<std::string>& keys);
  std::string screen();
  void resize(int width, int height);
  // Whether the screen shows text within the time (polled).
  bool shows(const std::string& text, double seconds = 15);

 private:
  std::string socket_;
};

bool tmux_available();

// The screen line that mentions text ("" if none).
std::string line_with(const std::string& screen, const std::string& text);

}  // namespace tcpulse::test
