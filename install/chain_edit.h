// The text edits that chain tcpulse into a CNI config. Each changes only the bytes of the
// tcpulse entry (and its separator): the primary CNI's plugins, key order, number spelling and
// indentation stay as they were, so that a person diffing the file sees one entry, and so that
// removing the entry from a file someone edited since leaves their edit alone.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tcpulse::install {

using ordered_json = nlohmann::ordered_json;

// {"type": "tcpulse"} followed by the keys of `config` (a JSON object, in its order). An
// InstallError for anything that is not an object or that sets another "type".
ordered_json tcpulse_entry(const ordered_json& config);

// The tcpulse entries in a conflist's text (valid JSON).
size_t count_tcpulse_entries(std::string_view conflist);

// The conflist with `entry` as its last plugin: the existing tcpulse entry replaced if it
// differs (extra ones removed: never a duplicate), the text unchanged if it is already there.
// The entry is laid out like the plugin before it (one line, or indented the same way).
std::string with_tcpulse_entry(std::string_view conflist, const ordered_json& entry);

// The conflist without any tcpulse entry.
std::string without_tcpulse_entry(std::string_view conflist);

// A conflist that runs a single-plugin .conf's plugin (its text kept inside, re-indented) and
// then `entry`, with the .conf's name and cniVersion, as libcni would wrap it.
std::string wrap_single_plugin_conf(std::string_view conf, const ordered_json& entry);

}  // namespace tcpulse::install
