#include "tests/support/agent_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tc-bpf/lib/unique_fd.h"
#include "tests/support/child_process.h"
#include "tests/support/http_get.h"

namespace tcpulse::test {

std::filesystem::path state_dir_for(const std::filesystem::path& pin_dir) {
  return std::filesystem::path("/run") / pin_dir.filename();
}

std::filesystem::path agent_binary() { return TCPULSE_BIN_DIR "/tcpulse-agent"; }
std::filesystem::path plugin_binary() { return TCPULSE_BIN_DIR "/tcpulse"; }
std::filesystem::path installer_binary() { return TCPULSE_BIN_DIR "/tcpulse-install"; }
std::filesystem::path source_dir() { return TCPULSE_SOURCE_DIR; }

AgentProcess::AgentProcess(std::filesystem::path pin_dir, bool cleanup_on_exit,
                           std::vector<std::string> extra_args, unsigned long nofile_limit) {
  char tmpl[] = "/tmp/tcpulse-agent-XXXXXX";
  dir_ = mkdtemp(tmpl);
  std::vector<std::string> args = {agent_binary().string(), "--listen", "127.0.0.1:0",
                                   "--pin-dir", pin_dir.string(), "--ready-file",
                                   (dir_ / "ready").string(), "--state-dir",
                                   state_dir_for(pin_dir).string(), "--reconcile-interval", "1",
                                   "--interval", "0.1",
                                   "--cni-cache-dir", ""};
  if (cleanup_on_exit) args.push_back("--cleanup-on-exit");
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  UniqueFd log(open((dir_ / "agent.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  ChildOptions options;
  options.stdout_fd = options.stderr_fd = log.get();
  options.nofile_limit = nofile_limit;
  pid_ = spawn_child(args, options);
}

void AgentProcess::wait_ready() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream ready(dir_ / "ready");
    if (ready >> address_) return;
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("tcpulse-agent exited early:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("tcpulse-agent not ready after 20 s:\n" + log());
}

uint64_t AgentProcess::collections() const {
  std::string health;
  try {
    health = http_get(address_, "/healthz");
  } catch (const std::exception&) {
    return 0;  // 503: the datapath cannot be read
  }
  size_t at = health.find("collections ");
  return at == std::string::npos ? 0 : std::stoull(health.substr(at + 12));
}

std::string AgentProcess::get(const std::string& target) const {
  if (target.rfind("/healthz", 0) != 0) {
    // A scan that ends after this point began after the call: its model has what came before.
    uint64_t before = collections();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (collections() <= before && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return http_get(address_, target);
}

std::string AgentProcess::get_now(const std::string& target) const {
  return http_get(address_, target);
}

int AgentProcess::stop() {
  int status = stop_child(pid_);
  pid_ = -1;
  return status;
}

std::string AgentProcess::log() const {
  std::ifstream in(dir_ / "agent.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

AgentProcess::~AgentProcess() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace tcpulse::test
