// SPDX-License-Identifier: Apache-2.0
#include "experiment/collect.hpp"

#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "experiment/shard.hpp"
#include "experiment/storage.hpp"

namespace nmz::core::experiment {

namespace fs = std::filesystem;

namespace {

// The file's bytes, or "" with `present` false when it does not exist.
std::string file_text(const fs::path& path, bool& present) {
  std::ifstream in(path, std::ios::binary);
  present = static_cast<bool>(in);
  std::stringstream text;
  if (present) text << in.rdbuf();
  return text.str();
}

sdk::Status conflict(const fs::path& a, const fs::path& b, const std::string& what) {
  return sdk::Status::invalid("conflicting run " + a.filename().string() + ": " + a.string() + " and " + b.string() +
                              " " + what + "; nothing was merged");
}

sdk::Status same_experiment(const fs::path& destination_config, const Storage& source) {
  bool a = false;
  bool b = false;
  if (file_text(destination_config, a) != file_text(source.config_path(), b)) {
    return sdk::Status::invalid(source.config_path().string() + " differs from " + destination_config.string() +
                                ": not the same experiment; nothing was merged");
  }
  return sdk::Status::ok();
}

}  // namespace

sdk::Result<CollectReport> collect_storages(const fs::path& destination, const std::vector<fs::path>& sources) {
  if (sources.empty()) return sdk::Status::invalid("no source storage to collect");
  std::vector<Storage> opened;
  for (const auto& source : sources) {
    auto storage = Storage::open(source);
    if (!storage) return storage.status();
    opened.push_back(*storage);
  }
  std::error_code error;
  const bool fresh = !fs::exists(destination / "config.toml", error);
  const fs::path destination_config = fresh ? opened.front().config_path() : destination / "config.toml";
  for (const auto& source : opened) {
    if (auto status = same_experiment(destination_config, source); !status) return status;
  }

  CollectReport report;
  std::map<std::string, fs::path> plan;  // run id -> the run directory it comes from
  for (const auto& source : opened) {
    for (const auto& run : source.runs()) {
      if (run_state(run.dir) == RunState::running) {
        ++report.still_running;
        continue;
      }
      fs::path other;
      if (auto planned = plan.find(run.id()); planned != plan.end()) {
        other = planned->second;
      } else if (!fresh && fs::exists(destination / run.id(), error)) {
        other = destination / run.id();
      }
      if (other.empty()) {
        plan[run.id()] = run.dir;
        continue;
      }
      bool present = false;
      bool other_present = false;
      if (file_text(other / "result.json", other_present) != file_text(run.dir / "result.json", present) ||
          other_present != present) {
        return conflict(other, run.dir, "hold different results (the same run id from two experiments or nodes?)");
      }
      ++report.already_there;
    }
  }

  if (fresh) {
    fs::create_directories(destination, error);
    if (error) return sdk::Status::error(sdk::StatusCode::unavailable, destination.string() + ": " + error.message());
    if (auto status = link_tree(opened.front().materials_dir(), destination / "materials"); !status) return status;
    fs::copy_file(opened.front().config_path(), destination / "config.toml", error);
    if (error) return sdk::Status::error(sdk::StatusCode::unavailable, destination.string() + ": " + error.message());
  }
  for (const auto& [id, source] : plan) {
    const fs::path aside = destination / (".collect-" + id + "-" + std::to_string(::getpid()));
    fs::remove_all(aside, error);
    if (auto status = link_tree(source, aside); !status) return status;
    fs::rename(aside, destination / id, error);
    if (error) {
      return sdk::Status::error(sdk::StatusCode::unavailable, (destination / id).string() + ": " + error.message());
    }
    ++report.copied;
  }
  return report;
}

}  // namespace nmz::core::experiment
