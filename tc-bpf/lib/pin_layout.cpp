#include "tc-bpf/lib/pin_layout.h"

#include "tcpulse/abi.h"

namespace tcpulse {

PinLayout::PinLayout(std::filesystem::path base) : PinLayout(std::move(base), TCPULSE_ABI_VERSION) {}

PinLayout::PinLayout(std::filesystem::path base, unsigned abi_version)
    : base_(std::move(base)), root_(base_ / ("v" + std::to_string(abi_version))) {}

uint32_t PinLayout::clsact_handle() const {
  if (base_ == std::filesystem::path(kDefaultPinBase)) return kDefaultClsactHandle;
  uint32_t hash = 2166136261u;  // FNV-1a: stable across builds and machines
  for (unsigned char c : base_.string()) hash = (hash ^ c) * 16777619u;
  return 0x74640000u | (hash & 0xffffu);
}

std::filesystem::path PinLayout::prog(TcHook hook) const {
  return progs_dir() / std::string(hook_name(hook));
}

std::filesystem::path PinLayout::link(std::string_view container_id, std::string_view ifname,
                                      TcHook hook) const {
  return links_dir() / (attachment_name(container_id, ifname) + "_" + std::string(hook_name(hook)));
}

std::filesystem::path PinLayout::legacy_link(std::string_view container_id,
                                             std::string_view ifname, TcHook hook) const {
  return links_dir() /
         (legacy_attachment_name(container_id, ifname) + "_" + std::string(hook_name(hook)));
}

namespace {

bool plain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

void append_escaped(std::string& out, char c) {
  static const char hex[] = "0123456789abcdef";
  auto b = static_cast<unsigned char>(c);
  out += '%';
  out += hex[b >> 4];
  out += hex[b & 15];
}

}  // namespace

std::string attachment_name(std::string_view container_id, std::string_view ifname) {
  std::string out;
  out.reserve(container_id.size() + 1 + ifname.size());
  for (char c : container_id) {
    if (plain_char(c)) out += c;
    else if (c == '.') out += '+';
    else append_escaped(out, c);
  }
  out += '@';
  for (char c : ifname) {
    if (plain_char(c)) out += c;
    else append_escaped(out, c);
  }
  return out;
}

std::string legacy_attachment_name(std::string_view container_id, std::string_view ifname) {
  // bpffs names may contain neither '/' nor '.', and are at most 255 bytes; container ids are
  // [a-zA-Z0-9_.-] in every runtime we know; anything else becomes '-'.
  auto clean = [](std::string_view in, size_t max) {
    std::string out;
    for (char c : in.substr(0, max)) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-';
      out += ok ? c : '-';
    }
    return out;
  };
  return clean(container_id, 200) + "_" + clean(ifname, 32);
}

}  // namespace tcpulse
