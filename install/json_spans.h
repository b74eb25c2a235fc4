// Byte spans of values inside JSON text, so that the installer can edit a CNI config the way a
// person would: one element added or removed, every other byte (other plugins, key order,
// indentation, number spelling) left exactly as the primary CNI wrote it. nlohmann-json would
// re-serialise the whole file.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace tcpulse::install {

struct Span {
  size_t begin = 0, end = 0;  // [begin, end) in the text
  std::string_view of(std::string_view text) const { return text.substr(begin, end - begin); }
};

// The value of `key` in the top-level object of `text` (the last one if the key repeats, as
// Go's encoding/json and so libcni take it). nullopt if the text is not an object or has no such
// key. The text must already be valid JSON (the installer parses it first).
std::optional<Span> member_value(std::string_view text, std::string_view key);

// The elements of the array at `array` (a span from member_value).
std::vector<Span> array_elements(std::string_view text, Span array);

}  // namespace tcpulse::install
