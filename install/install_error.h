// The installer's one error type: a message for people, naming the file or flag at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace tcpulse::install {

struct InstallError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace tcpulse::install
