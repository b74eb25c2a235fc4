#include "install/json_spans.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tcpulse::install {
namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : t_(text) {}

  size_t skip_space(size_t i) const {
    while (i < t_.size() && (t_[i] == ' ' || t_[i] == '\t' || t_[i] == '\n' || t_[i] == '\r')) ++i;
    return i;
  }

  // The end of the value starting at i (i is at its first byte).
  size_t value_end(size_t i) const {
    if (i >= t_.size()) throw std::runtime_error("unexpected end of JSON");
    switch (t_[i]) {
      case '"':
        return string_end(i);
      case '{':
      case '[':
        return container_end(i);
      default:  // number, true, false, null
        while (i < t_.size() && !is_delimiter(t_[i])) ++i;
        return i;
    }
  }

  size_t string_end(size_t i) const {
    for (++i; i < t_.size(); ++i) {
      if (t_[i] == '\\') ++i;
      else if (t_[i] == '"') return i + 1;
    }
    throw std::runtime_error("unterminated JSON string");
  }

  // Calls visit(key_span, value_span) for each member of the object at i; returns its end.
  template <typename Visit>
  size_t members(size_t i, Visit visit) const {
    i = skip_space(i + 1);
    if (t_.at(i) == '}') return i + 1;
    while (true) {
      size_t key_end = string_end(i);
      Span key{i, key_end};
      size_t v = skip_space(skip_space(key_end) + 1);  // past ':'
      size_t v_end = value_end(v);
      visit(key, Span{v, v_end});
      i = skip_space(v_end);
      if (t_.at(i) == '}') return i + 1;
      i = skip_space(i + 1);  // past ','
    }
  }

  template <typename Visit>
  size_t elements(size_t i, Visit visit) const {
    i = skip_space(i + 1);
    if (t_.at(i) == ']') return i + 1;
    while (true) {
      size_t v_end = value_end(i);
      visit(Span{i, v_end});
      i = skip_space(v_end);
      if (t_.at(i) == ']') return i + 1;
      i = skip_space(i + 1);
    }
  }

 private:
  static bool is_delimiter(char c) {
    return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }
  size_t container_end(size_t i) const {
    if (t_[i] == '{') return members(i, [](Span, Span) {});
    return elements(i, [](Span) {});
  }

  std::string_view t_;
};

}  // namespace

std::optional<Span> member_value(std::string_view text, std::string_view key) {
  Scanner s(text);
  size_t i = s.skip_space(0);
  if (i >= text.size() || text[i] != '{') return std::nullopt;
  std::optional<Span> found;
  s.members(i, [&](Span k, Span v) {
    // Keys may be spelled with escapes ("\u0070lugins"); compare what they decode to.
    std::string_view raw = k.of(text);
    bool plain = raw.find('\\') == std::string_view::npos;
    if (plain ? raw.substr(1, raw.size() - 2) == key
              : nlohmann::json::parse(raw).get<std::string>() == key)
      found = v;
  });
  return found;
}

std::vector<Span> array_elements(std::string_view text, Span array) {
  std::vector<Span> out;
  if (array.begin >= text.size() || text[array.begin] != '[') return out;
  Scanner(text).elements(array.begin, [&](Span e) { out.push_back(e); });
  return out;
}

}  // namespace tcpulse::install
