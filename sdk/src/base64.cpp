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

constexpr std::uint8_t kInvalid = 0xff;
constexpr std::array<std::uint8_t, 256> make_values() {
  std::array<std::uint8_t, 256> values{};
  values.fill(kInvalid);
  for (std::uint8_t i = 0; i < 64; ++i) values[static_cast<unsigned char>(kAlphabet[i])] = i;
  return values;
}
constexpr auto kValues = make_values();

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

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 == 0 && !text.empty() && text.back() == '=') {
    text.remove_suffix(text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    std::uint8_t value = kValues[static_cast<unsigned char>(c)];
    if (value == kInvalid) return std::nullopt;
    bits = bits << 6 | value;
    if (++count == 4) {
      out += static_cast<char>(bits >> 16);
      out += static_cast<char>(bits >> 8 & 0xff);
      out += static_cast<char>(bits & 0xff);
      bits = 0;
      count = 0;
    }
  }
  if (count == 2) out += static_cast<char>(bits >> 4);
  if (count == 3) {
    out += static_cast<char>(bits >> 10);
    out += static_cast<char>(bits >> 2 & 0xff);
  }
  return out;
}

}  // namespace nmz::sdk
