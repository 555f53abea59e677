// SPDX-License-Identifier: Apache-2.0
#include "schedule_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace nmz::native {
namespace {

constexpr const char* kFirstLine = "# nmz native schedule 1";

bool parse_u64(const std::string& text, std::uint64_t& out) {
  if (text.empty() || text[0] == '-' || text[0] == '+') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  out = value;
  return true;
}

}  // namespace

const char* policy_name(PolicyKind policy) { return policy == PolicyKind::pct ? "pct" : "random-walk"; }

sdk::Result<PolicyKind> parse_policy(const std::string& name) {
  if (name == "pct") return PolicyKind::pct;
  if (name == "random-walk") return PolicyKind::random_walk;
  return sdk::Status::invalid("expected pct or random-walk, got \"" + name + "\"");
}

sdk::Result<Schedule> read_schedule(const std::string& path) {
  std::ifstream in(path);
  if (!in) return sdk::Status::error(sdk::StatusCode::not_found, path + ": cannot open: " + std::strerror(errno));
  Schedule schedule;
  std::string line;
  int line_number = 0;
  auto error = [&](const std::string& what) {
    return sdk::Status::invalid(path + ":" + std::to_string(line_number) + ": " + what);
  };
  ++line_number;
  if (!std::getline(in, line) || line != kFirstLine) return error(std::string("expected \"") + kFirstLine + "\"");
  auto keyed = [&](const char* key, std::uint64_t& value) -> sdk::Status {
    ++line_number;
    std::string name;
    std::string text;
    std::string rest;
    if (!std::getline(in, line)) return error(std::string("expected \"") + key + " N\", got the end of the file");
    std::istringstream fields(line);
    fields >> name >> text;
    if (name != key || (fields >> rest) || !parse_u64(text, value)) {
      return error(std::string("expected \"") + key + " N\", got \"" + line + "\"");
    }
    return sdk::Status::ok();
  };
  ++line_number;
  if (!std::getline(in, line) || line.rfind("policy ", 0) != 0) return error("expected \"policy pct|random-walk\"");
  auto policy = parse_policy(line.substr(7));
  if (!policy) return error("policy: " + policy.status().message());
  schedule.policy = *policy;
  std::uint64_t depth = 0;
  std::uint64_t count = 0;
  if (auto s = keyed("depth", depth); !s) return s;
  if (depth < 1 || depth > 64) return error("depth must be 1..64");
  schedule.depth = static_cast<std::uint32_t>(depth);
  if (auto s = keyed("seed", schedule.seed); !s) return s;
  if (auto s = keyed("steps", schedule.steps); !s) return s;
  if (auto s = keyed("decisions", count); !s) return s;
  schedule.decisions.reserve(count);
  std::string word;
  while (std::getline(in, line)) {
    ++line_number;
    std::istringstream words(line);
    while (words >> word) {
      std::uint64_t thread = 0;
      if (!parse_u64(word, thread) || thread >= kMaxThreads) {
        return error("expected a thread index 0.." + std::to_string(kMaxThreads - 1) + ", got \"" + word + "\"");
      }
      schedule.decisions.push_back(static_cast<std::uint16_t>(thread));
    }
  }
  if (schedule.decisions.size() != count) {
    return error("the header says " + std::to_string(count) + " decisions, the file has " +
                 std::to_string(schedule.decisions.size()));
  }
  return schedule;
}

sdk::Status write_schedule(const std::string& path, const Schedule& schedule) {
  std::ostringstream out;
  out << kFirstLine << "\npolicy " << policy_name(schedule.policy) << "\ndepth " << schedule.depth << "\nseed "
      << schedule.seed << "\nsteps " << schedule.steps << "\ndecisions " << schedule.decisions.size() << "\n";
  for (std::size_t i = 0; i < schedule.decisions.size(); ++i) {
    out << schedule.decisions[i] << ((i + 1) % 32 == 0 || i + 1 == schedule.decisions.size() ? "\n" : " ");
  }
  std::string temp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream file(temp, std::ios::trunc);
    file << out.str();
    file.flush();
    if (!file) {
      std::remove(temp.c_str());
      return sdk::Status::error(sdk::StatusCode::unavailable, path + ": cannot write: " + std::strerror(errno));
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(temp.c_str());
    return sdk::Status::error(sdk::StatusCode::unavailable, path + ": cannot rename into place: " + std::strerror(e));
  }
  return sdk::Status::ok();
}

}  // namespace nmz::native
