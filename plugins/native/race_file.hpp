// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string_view>

// The races file of `-tsan -races FILE`: pairs of instructions that were
// seen racing (two threads accessed the same address, at least one wrote,
// and no happens-before order was seen between them). The interposer reads
// it at start (the listed instructions become the only memory scheduling
// points) and appends every pair it finds that the file did not list, one
// line per pair, so the file learns across runs:
//
//   # nmz native races 1
//   race exe+0x11a4 exe+0x1203
//   race libfoo.so+0x8e0 exe+0x1203
//
// An instruction is named by its module (the file name of the shared
// object, or `exe` for the program) and its offset from the module's load
// address, which stays the same from run to run of the same binary even
// with address randomisation. Header-only and allocation-free: both the
// inspector (which checks the file before the run) and the interposer
// (which has no nmz dependency) parse it.
namespace nmz::native {

inline constexpr std::string_view kRacesFirstLine = "# nmz native races 1";
inline constexpr const char* kRacesFileEnv = "NMZ_NATIVE_RACES";
inline constexpr std::string_view kProgramModule = "exe";

struct RaceSite {
  std::string_view module;
  std::uint64_t offset = 0;
};

struct RacePair {
  RaceSite first;
  RaceSite second;
};

enum class RaceLine { comment, race, malformed };

namespace race_file_detail {

inline bool parse_site(std::string_view token, RaceSite& site) {
  std::size_t plus = token.rfind("+0x");
  if (plus == std::string_view::npos || plus == 0 || plus + 3 >= token.size() || token.size() - plus - 3 > 16) {
    return false;
  }
  std::uint64_t offset = 0;
  for (char c : token.substr(plus + 3)) {
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (digit < 0) return false;
    offset = offset * 16 + static_cast<std::uint64_t>(digit);
  }
  site = RaceSite{token.substr(0, plus), offset};
  return true;
}

inline std::string_view next_token(std::string_view& rest) {
  std::size_t start = rest.find_first_not_of(" \t\r");
  if (start == std::string_view::npos) {
    rest = {};
    return {};
  }
  std::size_t end = rest.find_first_of(" \t\r", start);
  std::string_view token = rest.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  return token;
}

}  // namespace race_file_detail

// One line (without its newline). Blank lines and lines starting with '#'
// are comments.
inline RaceLine parse_race_line(std::string_view line, RacePair& pair) {
  std::string_view rest = line;
  std::string_view keyword = race_file_detail::next_token(rest);
  if (keyword.empty() || keyword[0] == '#') return RaceLine::comment;
  std::string_view first = race_file_detail::next_token(rest);
  std::string_view second = race_file_detail::next_token(rest);
  if (keyword != "race" || !race_file_detail::parse_site(first, pair.first) ||
      !race_file_detail::parse_site(second, pair.second) || !race_file_detail::next_token(rest).empty()) {
    return RaceLine::malformed;
  }
  return RaceLine::race;
}

}  // namespace nmz::native
