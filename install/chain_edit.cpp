#include "install/chain_edit.h"

#include <vector>

#include "install/install_error.h"
#include "install/json_spans.h"

namespace tcpulse::install {
namespace {

using json = nlohmann::json;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// text with prefix after each newline. JSON has newlines only between tokens, so this re-indents
// without touching a string.
std::string indented(std::string_view text, std::string_view prefix) {
  std::string out;
  for (char c : text) {
    out += c;
    if (c == '\n') out += prefix;
  }
  return out;
}

struct Plugins {
  Span array;
  std::vector<Span> elements;
};

Plugins plugins_of(std::string_view text) {
  auto array = member_value(text, "plugins");
  if (!array || text[array->begin] != '[') throw InstallError("\"plugins\" is not an array");
  return {*array, array_elements(text, *array)};
}

bool is_tcpulse(std::string_view element) {
  json j = json::parse(element);
  return j.is_object() && j.value("type", json()) == "tcpulse";
}

// The whitespace before `at` (back to the previous non-space byte).
std::string_view space_before(std::string_view text, size_t at) {
  size_t b = at;
  while (b > 0 && is_space(text[b - 1])) --b;
  return text.substr(b, at - b);
}

// `entry` laid out as an element of an array whose previous element is `model`, preceded by
// `lead`: on one line if the model is, else indented one level deeper than the line it starts on
// with the file's own indent unit (a tab, or as many spaces as the model's second line adds).
std::string layout(const ordered_json& entry, std::string_view text, Span model, std::string_view lead) {
  std::string_view m = model.of(text);
  size_t nl = m.find('\n');
  if (nl == std::string_view::npos) {
    // A one-line model: keep its spacing style (`"a": 1, "b"` or compact).
    std::string compact = entry.dump();
    if (m.find("\": ") == std::string_view::npos) return compact;
    std::string spaced;
    bool in_string = false;
    for (size_t i = 0; i < compact.size(); ++i) {
      char c = compact[i];
      spaced += c;
      if (c == '\\' && in_string) { spaced += compact[++i]; continue; }
      if (c == '"') in_string = !in_string;
      else if (!in_string && (c == ':' || c == ',')) spaced += ' ';
    }
    return spaced;
  }
  std::string_view base = lead.substr(lead.rfind('\n') == std::string_view::npos ? 0 : lead.rfind('\n') + 1);
  size_t inner_start = nl + 1, inner_end = inner_start;
  while (inner_end < m.size() && (m[inner_end] == ' ' || m[inner_end] == '\t')) ++inner_end;
  std::string_view inner = m.substr(inner_start, inner_end - inner_start);
  char unit_char = inner.find('\t') != std::string_view::npos ? '\t' : ' ';
  int unit = inner.size() > base.size() ? static_cast<int>(inner.size() - base.size()) : 2;
  if (unit_char == '\t') unit = 1;
  return indented(entry.dump(unit, unit_char), base);
}

}  // namespace

ordered_json tcpulse_entry(const ordered_json& config) {
  if (!config.is_object()) throw InstallError("--config: not a JSON object");
  ordered_json entry = {{"type", "tcpulse"}};
  for (const auto& [k, v] : config.items()) {
    if (k == "type") {
      if (v != "tcpulse") throw InstallError("--config: \"type\" must be \"tcpulse\" if given");
      continue;
    }
    entry[k] = v;
  }
  return entry;
}

size_t count_tcpulse_entries(std::string_view text) {
  size_t n = 0;
  for (const Span& e : plugins_of(text).elements) n += is_tcpulse(e.of(text));
  return n;
}

std::string without_tcpulse_entry(std::string_view text) {
  std::string out(text);
  // Back to front, so that earlier spans stay valid.
  for (;;) {
    Plugins p = plugins_of(out);
    size_t k = p.elements.size();
    while (k > 0 && !is_tcpulse(p.elements[k - 1].of(out))) --k;
    if (k == 0) return out;
    --k;
    const auto& e = p.elements;
    if (k > 0) out.erase(e[k - 1].end, e[k].end - e[k - 1].end);             // ",<space>entry"
    else if (e.size() > 1) out.erase(e[0].begin, e[1].begin - e[0].begin);  // "entry,<space>"
    else out.erase(e[0].begin, e[0].end - e[0].begin);
  }
}

std::string with_tcpulse_entry(std::string_view text, const ordered_json& entry) {
  Plugins p = plugins_of(text);
  std::vector<size_t> ours;
  for (size_t k = 0; k < p.elements.size(); ++k)
    if (is_tcpulse(p.elements[k].of(text))) ours.push_back(k);
  if (ours.size() == 1 && ours[0] + 1 == p.elements.size() &&
      json::parse(p.elements[ours[0]].of(text)) == json(entry))
    return std::string(text);
  if (ours.size() == 1 && ours[0] + 1 == p.elements.size()) {
    // Same place, new settings: replace it in its own layout.
    Span e = p.elements[ours[0]];
    std::string out(text.substr(0, e.begin));
    out += layout(entry, text, e, space_before(text, e.begin));
    out += text.substr(e.end);
    return out;
  }
  std::string base = ours.empty() ? std::string(text) : without_tcpulse_entry(text);
  p = plugins_of(base);
  if (p.elements.empty()) throw InstallError("\"plugins\" is empty");
  Span last = p.elements.back();
  std::string_view lead = space_before(base, last.begin);
  std::string out = base.substr(0, last.end);
  out += ",";
  out += lead;
  out += layout(entry, base, last, lead);
  out += base.substr(last.end);
  return out;
}

std::string wrap_single_plugin_conf(std::string_view conf, const ordered_json& entry) {
  auto trimmed = conf;
  while (!trimmed.empty() && is_space(trimmed.front())) trimmed.remove_prefix(1);
  while (!trimmed.empty() && is_space(trimmed.back())) trimmed.remove_suffix(1);
  std::string out = "{\n";
  if (auto v = member_value(conf, "cniVersion")) out += "  \"cniVersion\": " + std::string(v->of(conf)) + ",\n";
  if (auto n = member_value(conf, "name")) out += "  \"name\": " + std::string(n->of(conf)) + ",\n";
  out += "  \"plugins\": [\n    " + indented(trimmed, "    ") + ",\n    " + indented(entry.dump(2), "    ") +
         "\n  ]\n}\n";
  return out;
}

}  // namespace tcpulse::install
