// SPDX-License-Identifier: Apache-2.0
#include "experiment/leftovers.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include <nmz/sdk/child_process.hpp>
#include <nmz/sdk/restore_record.hpp>

#include "experiment/run_result.hpp"

namespace nmz::core::experiment {
namespace {

namespace fs = std::filesystem;

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) text += (text.empty() ? "" : " ") + arg;
  return text;
}

void mark_interrupted(const fs::path& run_dir, int owner_pid, const std::function<void(const std::string&)>& report) {
  const auto path = run_dir / "result.json";
  if (auto existing = read_run_result(path); existing) return;  // it ended and said how
  RunResult result;
  result.status = RunStatus::interrupted;
  result.reason = "nmz (pid " + std::to_string(owner_pid) + ") died during the run; its leftovers were cleaned up";
  if (auto status = write_run_result(path, result); !status) report("cannot mark the run interrupted: " + status.message());
}

}  // namespace

std::vector<Leftover> clean_leftovers(bool apply, const std::function<void(const std::string&)>& report) {
  std::vector<Leftover> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(sdk::restore_record_dir(), error)) {
    if (entry.path().extension() != ".lock") continue;
    int fd = ::open(entry.path().c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) continue;
    // Locked: its owner lives (or another cleanup is applying it).
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd);
      continue;
    }
    auto json_path = entry.path();
    json_path.replace_extension(".json");
    if (!fs::exists(json_path, error)) {  // being created right now, or its owner died creating it
      ::close(fd);
      continue;
    }
    std::ifstream in(json_path);
    std::stringstream text;
    text << in.rdbuf();
    auto record = nlohmann::json::parse(text.str(), nullptr, false);
    Leftover leftover;
    std::vector<sdk::RestoreStep> steps;
    if (record.is_object()) {
      leftover.what = record.value("what", "");
      leftover.owner_pid = record.value("owner_pid", 0);
      leftover.interrupted_run = record.value("interrupted_run", "");
      for (const auto& step : record.value("steps", nlohmann::json::array())) {
        if (!step.is_object() || !step.contains("argv") || !step["argv"].is_array()) continue;
        sdk::RestoreStep parsed;
        for (const auto& arg : step["argv"]) {
          if (arg.is_string()) parsed.argv.push_back(arg.get<std::string>());
        }
        parsed.input = step.value("input", "");
        if (parsed.argv.empty()) continue;
        leftover.steps.push_back(joined(parsed.argv));
        steps.push_back(std::move(parsed));
      }
    } else {
      leftover.what = "an unreadable record " + json_path.string() + " (its owner died while writing it)";
    }
    report((apply ? "cleaning up after pid " : "left by pid ") + std::to_string(leftover.owner_pid) + ": " +
           leftover.what);
    if (apply) {
      for (const auto& step : steps) {
        sdk::ChildOptions options;
        options.input = step.input;
        options.capture_output = true;
        auto child = sdk::ChildProcess::start(step.argv, options);
        if (!child) {
          report("  " + joined(step.argv) + ": " + child.status().message());
          continue;
        }
        auto [exit, output] = child->wait_with_output();
        if (exit.status != 0) {
          report("  " + joined(step.argv) + " exited with status " + std::to_string(exit.status) + ": " + output);
        }
      }
      if (!leftover.interrupted_run.empty()) mark_interrupted(leftover.interrupted_run, leftover.owner_pid, report);
      fs::remove(json_path, error);
      fs::remove(entry.path(), error);
    }
    ::close(fd);
    found.push_back(std::move(leftover));
  }
  return found;
}

}  // namespace nmz::core::experiment
