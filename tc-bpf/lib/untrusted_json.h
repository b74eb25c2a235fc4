// JSON tcpulse did not write — the CNI runtime's stdin, libcni's result cache, the pending queue
// another plugin version wrote — is bounded in size and nesting before it is parsed. nlohmann's
// parser is iterative, but copying, comparing and dumping a document recurse once per level, so
// 200 KB of nested arrays is enough to overflow the stack of whatever touches it next.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tc-bpf/lib/result.h"

namespace tcpulse {

// Deepest array/object nesting accepted. Real CNI configs and results nest 4-5 levels.
inline constexpr size_t kMaxJsonDepth = 512;

// Whether no array or object in `text` is nested deeper than max_depth. A linear scan that skips
// strings; `text` need not be valid JSON.
bool json_depth_within(std::string_view text, size_t max_depth = kMaxJsonDepth);

// Parses `text` if it is at most max_bytes long, nested at most kMaxJsonDepth deep, and valid
// JSON. EINVAL with the parser's message, or E2BIG, otherwise.
Result<nlohmann::ordered_json> parse_untrusted_json(std::string_view text, size_t max_bytes);

// Reads and parses a file the same way; a larger file is refused without being read whole.
Result<nlohmann::ordered_json> read_untrusted_json(const std::filesystem::path& path,
                                                   size_t max_bytes);

}  // namespace tcpulse
