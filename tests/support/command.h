// Runs a program (no shell) with extra environment and stdin, capturing stdout and stderr.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace tcpulse::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

CommandResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                          const std::map<std::string, std::string>& env = {});

// Same, but throws with the command's stderr when it does not exit 0.
std::string run_checked(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                        const std::map<std::string, std::string>& env = {});

}  // namespace tcpulse::test
