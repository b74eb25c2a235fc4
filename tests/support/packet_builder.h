// PacketBuilder: crafts Ethernet/IPv4/IPv6/TCP/UDP frames with options and valid checksums, for
// BPF_PROG_TEST_RUN fixtures. Fluent: PacketBuilder().ipv4(a, b).tcp(1, 2).syn().payload(10).build()
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tcpulse::test {

class PacketBuilder {
 public:
  PacketBuilder& ipv4(const std::string& src, const std::string& dst);
  PacketBuilder& ipv6(const std::string& src, const std::string& dst);
  PacketBuilder& tcp(uint16_t sport, uint16_t dport);
  PacketBuilder& udp(uint16_t sport, uint16_t dport);
  PacketBuilder& seq(uint32_t v) { seq_ = v; return *this; }
  PacketBuilder& ack(uint32_t v) { ack_ = v; flags_ |= 0x10; return *this; }
  PacketBuilder& flags(uint8_t f) { flags_ |= f; return *this; }
  PacketBuilder& syn() { return flags(0x02); }
  PacketBuilder& fin() { return flags(0x01); }
  PacketBuilder& rst() { return flags(0x04); }
  PacketBuilder& window(uint16_t w) { window_ = w; return *this; }
  // Raw TCP option bytes, padded to a multiple of 4 with NOPs.
  PacketBuilder& tcp_options(std::vector<uint8_t> opts) { options_ = std::move(opts); return *this; }
  PacketBuilder& timestamps(uint32_t tsval, uint32_t tsecr);
  PacketBuilder& window_scale(uint8_t shift) {
    options_.insert(options_.end(), {1, 3, 3, shift});  // NOP + WS
    return *this;
  }
  PacketBuilder& payload(size_t n, uint8_t fill = 'x') { payload_.assign(n, fill); return *this; }
  // Overrides for malformed packets.
  PacketBuilder& ip_header_len_words(uint8_t ihl) { ihl_override_ = ihl; return *this; }
  PacketBuilder& tcp_data_offset_words(uint8_t doff) { doff_override_ = doff; return *this; }
  PacketBuilder& fragment_offset(uint16_t units_of_8) { frag_off_ = units_of_8; return *this; }

  std::vector<uint8_t> build() const;
  // The frame cut to n bytes (a truncated packet).
  std::vector<uint8_t> build_truncated(size_t n) const;

 private:
  bool v6_ = false;
  uint8_t src_[16] = {}, dst_[16] = {};
  uint8_t proto_ = 6;
  uint16_t sport_ = 0, dport_ = 0;
  uint32_t seq_ = 0, ack_ = 0;
  uint8_t flags_ = 0;
  uint16_t window_ = 65535;
  std::vector<uint8_t> options_;
  std::vector<uint8_t> payload_;
  int ihl_override_ = -1, doff_override_ = -1;
  uint16_t frag_off_ = 0;
};

// An ARP request frame: not IP, must be ignored.
std::vector<uint8_t> arp_frame();

}  // namespace tcpulse::test
