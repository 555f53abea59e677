// SPDX-License-Identifier: Apache-2.0
#include "experiment/experiment_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <nlohmann/json.hpp>

#include <nmz/sdk/signal_json.hpp>

#include "experiment/run_result.hpp"
#include "experiment/run_slot.hpp"
#include "log/logging.hpp"
#include "orchestrator/orchestrator_session.hpp"
#include "plugin/plugin_loading.hpp"
#include "rest/rest_endpoint.hpp"
#include "util/atomic_file.hpp"
#include "util/spawn.hpp"

namespace nmz::core::experiment {

namespace fs = std::filesystem;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void redirect_console(const fs::path& file) {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  ::dup2(fd, STDOUT_FILENO);
  ::dup2(fd, STDERR_FILENO);
  ::close(fd);
}

// Namazu's actions/<i>.action.json and <i>.event.json, tab-indented.
sdk::Status write_actions_dir(const fs::path& dir, const Trace& trace) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error) return sdk::Status::error(sdk::StatusCode::unavailable, dir.string() + ": " + error.message());
  for (std::size_t i = 0; i < trace.size(); ++i) {
    auto pretty = [](const std::string& json) { return nlohmann::json::parse(json).dump(1, '\t') + "\n"; };
    const std::string n = std::to_string(i);
    if (auto s = write_file_atomically(dir / (n + ".action.json"), pretty(sdk::to_json(trace[i].action))); !s) return s;
    if (trace[i].event) {
      if (auto s = write_file_atomically(dir / (n + ".event.json"), pretty(sdk::to_json(*trace[i].event))); !s) return s;
    }
  }
  return sdk::Status::ok();
}

std::string script_command(const Storage& storage, const std::string& script) {
  return (storage.materials_dir() / script).string();
}

class Run {
 public:
  Run(const Storage& storage, const Config& config, Storage::Run run)
      : storage_(storage), config_(config), run_(std::move(run)), log_(named_logger("nmz")) {
    result_.nmz_version = NMZ_VERSION;
    result_.policy = config.explore_policy;
    result_.started_at_ns = now_ns();
  }

  int execute(const RunOptions& options) {
    auto slot = RunSlot::acquire();
    if (!slot) return broken("cannot allocate a run slot: " + slot.status().message());
    result_.nfq_number = slot->nfq_number();
    result_.netns = slot->netns();
    // Set before any thread starts: ShellActions inherit nmz's environment.
    ::setenv("NMZ_WORKING_DIR", run_.dir.c_str(), 1);
    ::setenv("NMZ_MATERIALS_DIR", storage_.materials_dir().c_str(), 1);
    ::setenv("NMZ_RUN_ID", run_.id().c_str(), 1);
    ::setenv("NMZ_NFQ_NUMBER", std::to_string(result_.nfq_number).c_str(), 1);
    ::setenv("NMZ_NETNS", result_.netns.c_str(), 1);
    // Scripts start inspectors with the same nmz, installed or not.
    std::error_code error;
    if (auto self = fs::read_symlink("/proc/self/exe", error); !error) ::setenv("NMZ_BIN", self.c_str(), 0);

    PluginHost plugins;  // outlives every plugin object below
    load_plugins(plugins, config_.plugin_path);
    auto session = start_orchestrator(plugins, config_, /*collect_trace=*/true);
    if (!session) return broken("the orchestrator did not start: " + session.status().message());
    result_.seed = (*session)->seed.text;
    Orchestrator& orchestrator = *(*session)->orchestrator;
    auto endpoint = rest::start_rest_endpoint(orchestrator, config_, options.any_rest_port && config_.rest_port >= 0 ? 0 : -1);
    if (!endpoint) {
      orchestrator.stop();
      return broken("the REST endpoint did not start: " + endpoint.status().message());
    }
    std::vector<std::string> env;
    if (*endpoint) {
      result_.rest_port = (*endpoint)->port();
      env.push_back("NMZ_REST_PORT=" + std::to_string(result_.rest_port));
      env.push_back("NMZ_REST_URL=http://" + (*endpoint)->address() + ":" + std::to_string(result_.rest_port) + "/api/v3");
    }
    log_->info("run {} in {} (NMZ_REST_PORT={} NMZ_NFQ_NUMBER={} NMZ_NETNS={})", run_.id(), run_.dir.string(),
               result_.rest_port, result_.nfq_number, result_.netns);

    const auto started = std::chrono::steady_clock::now();
    auto run_rc = run_shell(script_command(storage_, config_.run_script), env);
    orchestrator.stop();
    if (*endpoint) (*endpoint)->stop();
    result_.required_time = std::chrono::steady_clock::now() - started;
    Trace trace = orchestrator.take_trace();
    result_.trace_length = trace.size();

    if (!run_rc) {
      result_.status = RunStatus::broken;
      result_.reason = "run script: " + run_rc.status().message();
    } else if (result_.run_exit_code = *run_rc; *run_rc != 0) {
      result_.status = RunStatus::broken;
      result_.reason = "run script " + config_.run_script + " exited with status " + std::to_string(*run_rc);
    } else {
      validate(env);
    }
    if (result_.status == RunStatus::broken) log_->error("run {} is broken: {}", run_.id(), result_.reason);
    if (auto s = write_trace(run_.dir / "trace.jsonl", trace); !s) log_->error("{}", s.message());
    if (auto s = write_actions_dir(run_.dir / "actions", trace); !s) log_->error("{}", s.message());
    if (auto s = write_run_result(run_.dir / "result.json", result_); !s) {
      log_->error("{}", s.message());
      return kExitBroken;
    }
    return clean(env);
  }

  int broken(const std::string& reason) {
    result_.status = RunStatus::broken;
    result_.reason = reason;
    log_->error("run {} is broken: {}", run_.id(), reason);
    if (auto s = write_run_result(run_.dir / "result.json", result_); !s) log_->error("{}", s.message());
    return kExitBroken;
  }

 private:
  void validate(const std::vector<std::string>& env) {
    if (config_.validate_script.empty()) {
      log_->warn("no validate script in the config: run {} counts as passed", run_.id());
      result_.status = RunStatus::passed;
      return;
    }
    auto rc = run_shell(script_command(storage_, config_.validate_script), env);
    if (!rc) {
      result_.status = RunStatus::broken;
      result_.reason = "validate script: " + rc.status().message();
      return;
    }
    result_.validate_exit_code = *rc;
    if (*rc == 0) {
      result_.status = RunStatus::passed;
      log_->info("run {} passed", run_.id());
    } else {
      result_.status = RunStatus::failed;
      result_.reason = "validate script " + config_.validate_script + " exited with status " + std::to_string(*rc);
      log_->warn("run {} failed validation: {}", run_.id(), result_.reason);
    }
  }

  int clean(const std::vector<std::string>& env) {
    const int outcome = result_.status == RunStatus::passed   ? kExitPassed
                        : result_.status == RunStatus::failed ? kExitValidationFailed
                                                              : kExitBroken;
    if (config_.clean_script.empty()) return outcome;
    if (result_.status != RunStatus::passed && config_.not_clean_if_validation_fail) {
      log_->info("not cleaning run {} (notCleanIfValidationFail)", run_.id());
      return outcome;
    }
    auto rc = run_shell(script_command(storage_, config_.clean_script), env);
    result_.clean_exit_code = rc ? *rc : 127;
    if (auto s = write_run_result(run_.dir / "result.json", result_); !s) log_->error("{}", s.message());
    if (rc && *rc == 0) return outcome;
    // The experiment's outcome stands; the next run may not, so say so.
    log_->error("clean script {} failed ({}): the next run may find leftovers", config_.clean_script,
                rc ? "exit status " + std::to_string(*rc) : rc.status().message());
    return kExitBroken;
  }

  const Storage& storage_;
  const Config& config_;
  Storage::Run run_;
  std::shared_ptr<spdlog::logger> log_;
  RunResult result_;
};

}  // namespace

int execute_run(const Storage& storage, const RunOptions& options) {
  auto config = storage.load_config();
  if (!config) {
    std::cerr << "nmz run: " << config.status().message() << "\n";
    return kExitBroken;
  }
  if (config->run_script.empty()) {
    std::cerr << "nmz run: " << storage.config_path().string() << ": \"run\" is not set\n";
    return kExitBroken;
  }
  auto run = storage.allocate_run();
  if (!run) {
    std::cerr << "nmz run: " << run.status().message() << "\n";
    return kExitBroken;
  }
  if (options.quiet) redirect_console(run->dir / "console.log");
  add_log_file(run->dir / "nmz.log");
  return Run(storage, *config, std::move(run).value()).execute(options);
}

}  // namespace nmz::core::experiment
