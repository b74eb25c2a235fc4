#include "tc-bpf/lib/utf8_text.h"

namespace tcpulse {

namespace {

// The length of the well-formed sequence at the start of `text`, or 0 if there is none.
size_t sequence_length(std::string_view text) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    len = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    len = 3;
    if (lead == 0xe0) lo = 0xa0;  // overlong
    if (lead == 0xed) hi = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    len = 4;
    if (lead == 0xf0) lo = 0x90;  // overlong
    if (lead == 0xf4) hi = 0x8f;  // past U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < len || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if ((byte(i) & 0xc0) != 0x80) return 0;
  return len;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    size_t len = sequence_length(text);
    if (len == 0) return false;
    text.remove_prefix(len);
  }
  return true;
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    size_t len = sequence_length(text);
    if (len == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, len));
      text.remove_prefix(len);
    }
  }
  return out;
}

std::string_view utf8_prefix(std::string_view text, size_t max_bytes) {
  size_t end = 0;
  while (end < text.size()) {
    size_t len = sequence_length(text.substr(end));
    if (len == 0) len = 1;  // an invalid byte is a character of its own here
    if (end + len > max_bytes) break;
    end += len;
  }
  return text.substr(0, end);
}

}  // namespace tcpulse
