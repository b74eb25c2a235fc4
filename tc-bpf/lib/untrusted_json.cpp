#include "tc-bpf/lib/untrusted_json.h"

#include <fstream>

namespace tcpulse {

bool json_depth_within(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      depth--;
    }
  }
  return true;
}

Result<nlohmann::ordered_json> parse_untrusted_json(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes)
    return Error(E2BIG, std::to_string(text.size()) + " bytes, at most " + std::to_string(max_bytes));
  if (!json_depth_within(text))
    return Error(EINVAL, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Error(EINVAL, e.what());
  }
}

Result<nlohmann::ordered_json> read_untrusted_json(const std::filesystem::path& path,
                                                   size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errno_error("open " + path.string());
  // Read in pieces up to one byte past the limit: a huge file costs no huge buffer.
  std::string text;
  char buf[16384];
  while (text.size() <= max_bytes && in.read(buf, sizeof(buf)).gcount() > 0)
    text.append(buf, static_cast<size_t>(in.gcount()));
  if (in.bad()) return errno_error("read " + path.string());
  auto doc = parse_untrusted_json(text, max_bytes);
  if (!doc) return Error(doc.error().code(), path.string() + ": " + doc.error().what());
  return doc;
}

}  // namespace tcpulse
