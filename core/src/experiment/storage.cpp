// SPDX-License-Identifier: Apache-2.0
#include "experiment/storage.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "log/logging.hpp"
#include "orchestrator/orchestrator_session.hpp"
#include "plugin/config_warnings.hpp"
#include "plugin/plugin_loading.hpp"
#include "util/atomic_file.hpp"
#include "util/spawn.hpp"

namespace nmz::core::experiment {

namespace fs = std::filesystem;
using sdk::Result;
using sdk::Status;

namespace {

constexpr const char* kSearchModeInfo = "SearchModeInfo";

Status io_error(const fs::path& path, const std::string& what) {
  return Status::error(sdk::StatusCode::unavailable, path.string() + ": " + what);
}

bool is_run_dir_name(const std::string& name) {
  return name.size() == 8 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The run counter. A damaged file is an error rather than a silent zero:
// reusing numbers would overwrite runs.
Result<std::uint64_t> read_run_counter(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return Status::error(sdk::StatusCode::not_found, path.string() + ": missing (not made by nmz init?)");
  std::stringstream text;
  text << in.rdbuf();
  auto parsed = nlohmann::json::parse(text.str(), nullptr, false);
  if (!parsed.is_object() || !parsed.contains("NrCollectedTraces") || !parsed["NrCollectedTraces"].is_number_unsigned()) {
    return Status::invalid(path.string() + ": damaged (expected {\"NrCollectedTraces\": N}, got " +
                           std::to_string(text.str().size()) +
                           " bytes that are not that); the run directories are intact: delete the file and "
                           "nmz run recounts them");
  }
  return parsed["NrCollectedTraces"].get<std::uint64_t>();
}

Status write_run_counter(const fs::path& path, std::uint64_t count) {
  return write_file_atomically(path, nlohmann::json{{"NrCollectedTraces", count}}.dump() + "\n");
}

}  // namespace

std::string run_id(std::uint64_t index) {
  std::array<char, 24> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%08llx", static_cast<unsigned long long>(index));
  return buffer.data();
}

// Hard links rather than copies: Namazu's way, no copy of big materials.
Status link_tree(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::create_directories(to, error);
  if (error) return io_error(to, "cannot create: " + error.message());
  for (const auto& entry : fs::directory_iterator(from, error)) {
    const fs::path target = to / entry.path().filename();
    if (entry.is_symlink(error)) {
      fs::copy_symlink(entry.path(), target, error);
    } else if (entry.is_directory(error)) {
      if (auto status = link_tree(entry.path(), target); !status) return status;
      continue;
    } else {
      fs::create_hard_link(entry.path(), target, error);
      if (error) {
        error.clear();
        fs::copy_file(entry.path(), target, error);
      }
    }
    if (error) return io_error(entry.path(), "cannot copy into the storage: " + error.message());
  }
  if (error) return io_error(from, "cannot read: " + error.message());
  return Status::ok();
}

std::string Storage::Run::id() const { return run_id(index); }

Result<Storage> Storage::open(const fs::path& root) {
  std::error_code error;
  if (!fs::is_directory(root, error)) return Status::error(sdk::StatusCode::not_found, root.string() + ": not a directory");
  Storage storage(fs::absolute(root));
  if (!fs::is_regular_file(storage.config_path(), error)) {
    return Status::error(sdk::StatusCode::not_found,
                         storage.config_path().string() + ": missing; is " + root.string() + " a storage made by nmz init?");
  }
  if (!fs::is_directory(storage.materials_dir(), error)) {
    return Status::error(sdk::StatusCode::not_found, storage.materials_dir().string() + ": missing");
  }
  return storage;
}

Result<Config> Storage::load_config() const { return core::load_config(config_path().string()); }

template <typename Take>
Result<Storage::Run> Storage::locked(Take take) const {
  const fs::path lock_path = root_ / ".nmz.lock";
  int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0) return io_error(lock_path, std::string("cannot open: ") + std::strerror(errno));
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing releases the flock
  } unlock{lock};
  while (::flock(lock, LOCK_EX) != 0) {
    if (errno != EINTR) return io_error(lock_path, std::string("cannot lock: ") + std::strerror(errno));
  }
  return take();
}

Result<Storage::Run> Storage::allocate_run() const {
  return locked([this]() -> Result<Run> {
    const fs::path counter_path = root_ / kSearchModeInfo;
    std::uint64_t next = 0;
    std::error_code error;
    if (fs::exists(counter_path, error)) {
      auto counter = read_run_counter(counter_path);
      if (!counter) return counter.status();
      next = *counter;
    }
    // Never reuse a directory, whatever the counter says; shard runs have their own range.
    for (const auto& run : runs()) {
      if (run.index < kShardRunBase) next = std::max(next, run.index + 1);
    }
    Run run{next, root_ / run_id(next)};
    if (!fs::create_directory(run.dir, error) || error) {
      return io_error(run.dir, "cannot create the run directory: " + (error ? error.message() : "it exists"));
    }
    if (auto status = write_run_counter(counter_path, next + 1); !status) return status;
    return run;
  });
}

Result<Storage::Run> Storage::claim_run(std::uint64_t index) const {
  return locked([&]() -> Result<Run> {
    Run run{index, root_ / run_id(index)};
    std::error_code error;
    if (!fs::create_directory(run.dir, error) || error) {
      return io_error(run.dir, "cannot create the run directory: " + (error ? error.message() : "it exists"));
    }
    return run;
  });
}

std::vector<Storage::Run> Storage::runs() const {
  std::vector<Run> runs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root_, error)) {
    std::string name = entry.path().filename().string();
    if (!is_run_dir_name(name) || !entry.is_directory(error)) continue;
    runs.push_back({std::stoull(name, nullptr, 16), entry.path()});
  }
  std::sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.index < b.index; });
  return runs;
}

Status init_storage(const fs::path& config_file, const fs::path& materials, const fs::path& storage,
                    InitOptions options) {
  std::error_code error;
  if (!fs::is_regular_file(config_file, error)) return Status::invalid(config_file.string() + ": not a regular file");
  std::string extension = config_file.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), ::tolower);
  if (extension != ".toml") return Status::invalid(config_file.string() + ": expected a .toml config file");
  auto config = core::load_config(config_file.string());
  if (!config) return config.status();
  if (config->run_script.empty()) return Status::invalid(config_file.string() + ": key run: missing (the script nmz run starts)");
  // A misspelt or missing policy, or a parameter it rejects, must show now,
  // not at every run.
  PluginHost plugins;
  load_plugins(plugins, *config);
  if (auto status = check_policy_configures(plugins, *config); !status) return Status::invalid(status.message());
  if (auto status = report_config_warnings(*config, plugins, options.strict); !status) return status;
  if (!fs::is_directory(materials, error)) return Status::invalid(materials.string() + ": not a directory");

  if (options.force) {
    // Namazu's guard against a typo wiping a home or system directory.
    const fs::path canonical = fs::weakly_canonical(storage, error);
    for (const char* dangerous : {"/", "/home", "/tmp", "/root", "/usr", "/etc", "/var"}) {
      if (canonical == fs::path(dangerous)) return Status::invalid(storage.string() + ": refusing to delete it with --force");
    }
    if (canonical == fs::weakly_canonical(fs::current_path(), error) ||
        canonical == fs::weakly_canonical(fs::current_path().parent_path(), error)) {
      return Status::invalid(storage.string() + ": refusing to delete the current directory or its parent with --force");
    }
    fs::remove_all(storage, error);
    if (error) return io_error(storage, "cannot delete: " + error.message());
  }
  if (!fs::exists(storage, error)) {
    fs::create_directories(storage, error);
    if (error) return io_error(storage, "cannot create: " + error.message());
  }
  if (!fs::is_directory(storage, error)) return Status::invalid(storage.string() + ": not a directory");
  if (!fs::is_empty(storage, error)) {
    return Status::invalid(storage.string() + ": not empty (use --force to delete and re-create it)");
  }
  fs::copy_file(config_file, storage / "config.toml", error);
  if (error) return io_error(storage / "config.toml", "cannot write: " + error.message());
  if (auto status = link_tree(materials, storage / "materials"); !status) return status;
  if (auto status = write_run_counter(storage / kSearchModeInfo, 0); !status) return status;

  if (!config->init_script.empty()) {
    const fs::path materials_dir = fs::absolute(storage / "materials");
    auto rc = run_shell((materials_dir / config->init_script).string(), {"NMZ_MATERIALS_DIR=" + materials_dir.string()});
    if (!rc) return Status::error(rc.status().code(), "init script: " + rc.status().message());
    if (*rc != 0) {
      return Status::error(sdk::StatusCode::internal,
                           "init script " + config->init_script + " exited with status " + std::to_string(*rc));
    }
  }
  return Status::ok();
}

}  // namespace nmz::core::experiment
