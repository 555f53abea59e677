// SPDX-License-Identifier: Apache-2.0
#include "experiment/run_scripts.hpp"

#include <signal.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "log/logging.hpp"

namespace nmz::core::experiment {
namespace {

constexpr std::chrono::milliseconds kKillGrace{2000};

std::string self_path() {
  std::error_code error;
  auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? "nmz" : self.string();
}

}  // namespace

sdk::Result<std::unique_ptr<RunScripts>> RunScripts::create(const std::string& run_dir, const std::string& netns) {
  auto record = sdk::RestoreRecord::create("nmz run: the run in " + run_dir);
  if (!record) return record.status();
  std::unique_ptr<RunScripts> scripts(new RunScripts(std::move(record).value(), run_dir, netns));
  if (auto status = scripts->record_group(-1); !status) return status;
  return scripts;
}

sdk::Status RunScripts::record_group(pid_t group) {
  // Harmless when already done: the group may be gone, the namespace never made.
  std::string undo = "ip netns delete " + netns_ + " 2>/dev/null; true";
  if (group > 0) undo = "kill -KILL -- -" + std::to_string(group) + " 2>/dev/null; " + undo;
  return record_.set_steps({{{"sh", "-c", undo}, ""}}, nlohmann::json{{"interrupted_run", run_dir_}}.dump());
}

sdk::Result<RunScripts::Outcome> RunScripts::run(const std::string& command, const std::vector<std::string>& env,
                                                 std::optional<std::chrono::steady_clock::time_point> deadline) {
  sdk::ChildOptions options;
  options.extra_env = env;
  options.on_parent_death = sdk::OnParentDeath::kill_group;
  options.after_parent_death = {self_path(), "tools", "cleanup"};
  std::unique_lock lock(mutex_);
  auto child = sdk::ChildProcess::start({"/bin/sh", "-c", command}, options);
  if (!child) return child.status();
  group_ = child->pid();
  lock.unlock();
  if (auto status = record_group(child->pid()); !status) {
    named_logger("nmz")->warn("{}: if nmz dies now, `nmz tools cleanup` will not know this run", status.message());
  }
  Outcome outcome;
  std::optional<sdk::ChildExit> exit;
  if (!deadline) {
    exit = child->wait();
  } else {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
    exit = child->wait_for(std::max(left, std::chrono::milliseconds(0)));
    if (!exit) {
      outcome.timed_out = true;
      exit = child->terminate(kKillGrace);
    }
  }
  outcome.status = exit->status;
  lock.lock();
  group_ = -1;
  return outcome;
}

void RunScripts::on_signal(int signal_number, int times_received) {
  std::lock_guard lock(mutex_);
  if (group_ <= 0) return;
  if (times_received <= 1) {
    named_logger("nmz")->warn("interrupted: passed on to the script; interrupt again to kill its process group");
    ::kill(-group_, signal_number);
  } else {
    named_logger("nmz")->warn("interrupted again: killing the script's process group {}", group_);
    ::kill(-group_, SIGKILL);
  }
}

}  // namespace nmz::core::experiment
