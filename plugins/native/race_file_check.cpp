// SPDX-License-Identifier: Apache-2.0
#include "race_file_check.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "race_file.hpp"

namespace nmz::native {

sdk::Result<std::uint64_t> prepare_races_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno != ENOENT) return sdk::Status::invalid(path + ": cannot open: " + std::strerror(errno));
    std::string temp = path + ".tmp." + std::to_string(getpid());
    std::ofstream out(temp);
    out << kRacesFirstLine << "\n";
    out.close();
    if (!out || std::rename(temp.c_str(), path.c_str()) != 0) {
      int error = errno;
      std::remove(temp.c_str());
      return sdk::Status::invalid(path + ": cannot create: " + std::strerror(error));
    }
    return std::uint64_t{0};
  }
  std::uint64_t races = 0;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    RacePair pair;
    switch (parse_race_line(line, pair)) {
      case RaceLine::comment: break;
      case RaceLine::race: ++races; break;
      case RaceLine::malformed:
        return sdk::Status::invalid(path + ":" + std::to_string(number) +
                                    ": expected \"race MODULE+0xOFFSET MODULE+0xOFFSET\", got \"" + line + "\"");
    }
  }
  return races;
}

std::uint64_t count_races(const std::string& path) {
  std::ifstream in(path);
  std::uint64_t races = 0;
  std::string line;
  while (std::getline(in, line)) {
    RacePair pair;
    if (parse_race_line(line, pair) == RaceLine::race) ++races;
  }
  return races;
}

}  // namespace nmz::native
