#include "tests/support/packet_builder.h"

#include <arpa/inet.h>

#include <cstring>
#include <stdexcept>

namespace tcpulse::test {

namespace {

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = v >> 8;
  b[at + 1] = v & 0xff;
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; i++) b[at + i] = (v >> (24 - 8 * i)) & 0xff;
}

uint32_t sum16(const uint8_t* p, size_t n, uint32_t acc = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) acc += (p[i] << 8) | p[i + 1];
  if (n & 1) acc += p[n - 1] << 8;
  return acc;
}
uint16_t fold(uint32_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<uint16_t>(~acc);
}

void parse_addr(int af, const std::string& text, uint8_t* out) {
  if (inet_pton(af, text.c_str(), out) != 1) throw std::invalid_argument("bad address " + text);
}

}  // namespace

PacketBuilder& PacketBuilder::ipv4(const std::string& src, const std::string& dst) {
  v6_ = false;
  parse_addr(AF_INET, src, src_);
  parse_addr(AF_INET, dst, dst_);
  return *this;
}

PacketBuilder& PacketBuilder::ipv6(const std::string& src, const std::string& dst) {
  v6_ = true;
  parse_addr(AF_INET6, src, src_);
  parse_addr(AF_INET6, dst, dst_);
  return *this;
}

PacketBuilder& PacketBuilder::tcp(uint16_t sport, uint16_t dport) {
  proto_ = 6;
  sport_ = sport;
  dport_ = dport;
  return *this;
}

PacketBuilder& PacketBuilder::udp(uint16_t sport, uint16_t dport) {
  proto_ = 17;
  sport_ = sport;
  dport_ = dport;
  return *this;
}

PacketBuilder& PacketBuilder::timestamps(uint32_t tsval, uint32_t tsecr) {
  std::vector<uint8_t> opt = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 4; i++) {
    opt[4 + i] = (tsval >> (24 - 8 * i)) & 0xff;
    opt[8 + i] = (tsecr >> (24 - 8 * i)) & 0xff;
  }
  options_.insert(options_.end(), opt.begin(), opt.end());
  return *this;
}

std::vector<uint8_t> PacketBuilder::build() const {
  std::vector<uint8_t> opts = options_;
  while (proto_ == 6 && opts.size() % 4) opts.push_back(1);  // NOP padding
  size_t l4_hdr = proto_ == 6 ? 20 + opts.size() : 8;
  size_t l3_hdr = v6_ ? 40 : 20;
  size_t l4_len = l4_hdr + payload_.size();
  std::vector<uint8_t> f(14 + l3_hdr + l4_len, 0);

  // Ethernet: fixed MACs, ethertype.
  const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 2}, smac[6] = {0x02, 0, 0, 0, 0, 1};
  std::memcpy(&f[0], dmac, 6);
  std::memcpy(&f[6], smac, 6);
  put16(f, 12, v6_ ? 0x86dd : 0x0800);

  size_t l3 = 14, l4 = 14 + l3_hdr;
  if (v6_) {
    f[l3] = 0x60;
    put16(f, l3 + 4, static_cast<uint16_t>(l4_len));
    f[l3 + 6] = proto_;
    f[l3 + 7] = 64;
    std::memcpy(&f[l3 + 8], src_, 16);
    std::memcpy(&f[l3 + 24], dst_, 16);
  } else {
    f[l3] = 0x40 | (ihl_override_ >= 0 ? ihl_override_ : 5);
    put16(f, l3 + 2, static_cast<uint16_t>(l3_hdr + l4_len));
    put16(f, l3 + 6, frag_off_ & 0x1fff);
    f[l3 + 8] = 64;
    f[l3 + 9] = proto_;
    std::memcpy(&f[l3 + 12], src_, 4);
    std::memcpy(&f[l3 + 16], dst_, 4);
    put16(f, l3 + 10, fold(sum16(&f[l3], 20)));
  }

  put16(f, l4, sport_);
  put16(f, l4 + 2, dport_);
  if (proto_ == 6) {
    put32(f, l4 + 4, seq_);
    put32(f, l4 + 8, ack_);
    int doff = doff_override_ >= 0 ? doff_override_ : static_cast<int>(l4_hdr / 4);
    f[l4 + 12] = static_cast<uint8_t>(doff << 4);
    f[l4 + 13] = flags_;
    put16(f, l4 + 14, window_);
    std::memcpy(&f[l4 + 20], opts.data(), opts.size());
  } else {
    put16(f, l4 + 4, static_cast<uint16_t>(l4_len));
  }
  std::memcpy(&f[l4 + l4_hdr], payload_.data(), payload_.size());

  // Pseudo-header checksum.
  uint32_t acc = 0;
  size_t alen = v6_ ? 16 : 4;
  acc = sum16(src_, alen, acc);
  acc = sum16(dst_, alen, acc);
  acc += proto_ + static_cast<uint32_t>(l4_len);
  acc = sum16(&f[l4], l4_len, acc);
  put16(f, l4 + (proto_ == 6 ? 16 : 6), fold(acc));
  return f;
}

std::vector<uint8_t> PacketBuilder::build_truncated(size_t n) const {
  auto f = build();
  f.resize(std::min(n, f.size()));
  return f;
}

std::vector<uint8_t> arp_frame() {
  std::vector<uint8_t> f(42, 0);
  std::memset(&f[0], 0xff, 6);
  f[6] = 0x02;
  f[12] = 0x08;
  f[13] = 0x06;
  return f;
}

}  // namespace tcpulse::test
