// SPDX-License-Identifier: Apache-2.0
#include "experiment/shard.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>

#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"

namespace nmz::core::experiment {

namespace fs = std::filesystem;

namespace {

constexpr const char* kRunningLock = "running.lock";

bool parse_number(std::string_view text, std::uint64_t& out) {
  const auto* end = text.data() + text.size();
  auto [next, error] = std::from_chars(text.data(), end, out);
  return error == std::errc() && next == end && !text.empty();
}

}  // namespace

sdk::Result<Shard> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  Shard shard;
  if (slash == std::string::npos || !parse_number(std::string_view(text).substr(0, slash), shard.index) ||
      !parse_number(std::string_view(text).substr(slash + 1), shard.count)) {
    return sdk::Status::invalid("shard \"" + text + "\": expected I/N, two whole numbers (e.g. 3/50)");
  }
  if (shard.count == 0 || shard.index >= shard.count) {
    return sdk::Status::invalid("shard \"" + text + "\": expected 0 <= I < N");
  }
  return shard;
}

std::vector<std::uint64_t> pending_shard_runs(const Storage& storage, const Shard& shard, std::uint64_t total) {
  std::vector<std::uint64_t> numbers;
  std::error_code error;
  for (std::uint64_t number = shard.index; number < total; number += shard.count) {
    if (!fs::exists(storage.root() / run_id(kShardRunBase + number), error)) numbers.push_back(number);
  }
  return numbers;
}

int execute_shard_run(const Storage& storage, const Shard& shard, std::uint64_t number, RunOptions options) {
  auto run = storage.claim_run(kShardRunBase + number);
  if (!run) {
    std::cerr << "nmz run: shard " << shard.text() << ": " << run.status().message() << "\n";
    return kExitBroken;
  }
  // Held, not inherited by the scripts, until this process ends however it ends.
  const fs::path lock_path = run->dir / kRunningLock;
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    std::cerr << "nmz run: " << lock_path.string() << ": cannot lock: " << std::strerror(errno) << "\n";
    return kExitBroken;
  }
  const nlohmann::json record{{"shard", shard.index}, {"shards", shard.count}, {"run", number}};
  if (auto status = write_file_atomically(run->dir / "shard.json", record.dump() + "\n"); !status) {
    std::cerr << "nmz run: " << status.message() << "\n";
    return kExitBroken;
  }
  options.claimed_run = std::move(run).value();
  return execute_run(storage, options);
}

RunState run_state(const fs::path& run_dir) {
  std::error_code error;
  if (fs::exists(run_dir / "result.json", error)) return RunState::finished;
  const int fd = ::open((run_dir / kRunningLock).c_str(), O_RDONLY | O_CLOEXEC);
  // A local run holds no lock: without result.json it is running or was killed; say running.
  if (fd < 0) return RunState::running;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held ? RunState::running : RunState::interrupted;
}

}  // namespace nmz::core::experiment
