// Routes libbpf's own messages into the caller's log instead of raw stderr. libbpf reports
// expected conditions (e.g. probing for a clsact qdisc that does not exist) as warnings, which
// would read as failures in a CNI runtime's logs.
#pragma once

#include <functional>
#include <string>

namespace tcpulse {

enum class LibbpfLevel { Warn, Info, Debug };

// Installs sink for libbpf messages (process-wide). Lines arrive without a trailing newline.
void set_libbpf_log(std::function<void(LibbpfLevel, const std::string&)> sink);

}  // namespace tcpulse
