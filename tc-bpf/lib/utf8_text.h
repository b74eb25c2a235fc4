// Text tcpulse did not write (pod names from CNI_ARGS, interface names, network names) leaves it
// through JSON, Prometheus labels and logs, all of which must be valid UTF-8: one pod's odd name
// must never make a whole /pods or /metrics answer invalid. These helpers make it so.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace tcpulse {

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
// U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `text` with every byte that does not start a well-formed sequence replaced by U+FFFD.
// Valid text comes back unchanged.
std::string valid_utf8(std::string_view text);

// The longest prefix of `text` of at most max_bytes that does not end inside a character: a field
// cut to size never leaves half a character behind.
std::string_view utf8_prefix(std::string_view text, size_t max_bytes);

}  // namespace tcpulse
