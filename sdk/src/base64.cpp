// SPDX-License-Identifier: Apache-2.0
#include "base64.hpp"

#include <array>
#include <cstdint>

namespace nmz::sdk {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Two output characters per 12 input bits: half the lookups of the
// one-character table, which matters at 64 KiB per packet.
constexpr std::array<std::array<char, 2>, 4096> make_pairs() {
  std::array<std::array<char, 2>, 4096> pairs{};
  for (unsigned v = 0; v < 4096; ++v) pairs[v] = {kAlphabet[v >> 6], kAlphabet[v & 63]};
  return pairs;
}
constexpr auto kPairs = make_pairs();

}  // namespace

void base64_append(std::string& out, std::string_view bytes) {
  std::size_t whole = bytes.size() / 3 * 3;
  std::size_t start = out.size();
  out.resize(start + whole / 3 * 4);
  char* write = out.data() + start;
  const auto* read = reinterpret_cast<const unsigned char*>(bytes.data());
  for (std::size_t i = 0; i < whole; i += 3) {
    std::uint32_t v = static_cast<std::uint32_t>(read[i]) << 16 | static_cast<std::uint32_t>(read[i + 1]) << 8 | read[i + 2];
    const auto& high = kPairs[v >> 12];
    const auto& low = kPairs[v & 0xfff];
    write[0] = high[0];
    write[1] = high[1];
    write[2] = low[0];
    write[3] = low[1];
    write += 4;
  }
  if (std::size_t left = bytes.size() - whole; left > 0) {
    unsigned v = static_cast<unsigned char>(bytes[whole]) << 16;
    if (left == 2) v |= static_cast<unsigned char>(bytes[whole + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += left == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  base64_append(out, bytes);
  return out;
}

}  // namespace nmz::sdk
