// SPDX-License-Identifier: Apache-2.0
#include "experiment/experiment_run.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include <nmz/sdk/duration.hpp>
#include <nmz/sdk/signal_json.hpp>

#include "experiment/coverage_analysis.hpp"
#include "experiment/leftovers.hpp"
#include "experiment/run_result.hpp"
#include "experiment/run_signature.hpp"
#include "experiment/run_scripts.hpp"
#include "experiment/run_slot.hpp"
#include "log/logging.hpp"
#include "orchestrator/orchestrator_session.hpp"
#include "pb/pb_endpoint.hpp"
#include "plugin/plugin_call.hpp"
#include "plugin/plugin_loading.hpp"
#include "rest/rest_endpoint.hpp"
#include "util/atomic_file.hpp"
#include "util/signal_watcher.hpp"
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
  ~Run() { clear_crash_record(); }
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  int execute(const RunOptions& options) {
    auto slot = RunSlot::acquire();
    if (!slot) return broken("cannot allocate a run slot: " + slot.status().message());
    result_.nfq_number = slot->nfq_number();
    result_.netns = slot->netns();
    auto scripts = RunScripts::create(run_.dir.string(), result_.netns);
    if (!scripts) return broken("cannot leave a restore record for the run: " + scripts.status().message());
    scripts_ = std::move(scripts).value();
    SignalWatcher signals([this, count = 0](int signal_number) mutable { scripts_->on_signal(signal_number, ++count); });
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
    load_plugins(plugins, config_);
    arm_crash_record();
    auto session = start_orchestrator(plugins, config_, /*collect_trace=*/true);
    if (!session) return broken("the orchestrator did not start: " + session.status().message());
    result_.seed = (*session)->seed.text;
    arm_crash_record();
    Orchestrator& orchestrator = *(*session)->orchestrator;
    auto endpoint = rest::start_rest_endpoint(orchestrator, config_, options.any_rest_port && config_.rest_port >= 0 ? 0 : -1);
    if (!endpoint) {
      orchestrator.stop();
      return broken("the REST endpoint did not start: " + endpoint.status().message());
    }
    auto pb_endpoint = pb::start_pb_endpoint(orchestrator, config_, options.any_rest_port && config_.pb_port >= 0 ? 0 : -1);
    if (!pb_endpoint) {
      orchestrator.stop();
      return broken("the PB endpoint did not start: " + pb_endpoint.status().message());
    }
    std::vector<std::string> env;
    // JVMs that run.sh starts find the PB endpoint as Namazu's Java
    // inspector did (NMZ_GA_TCP_PORT), and `nmz inspectors java
    // --print-agent-options` reads it too.
    if (*pb_endpoint) env.push_back("NMZ_GA_TCP_PORT=" + std::to_string((*pb_endpoint)->port()));
    // Inspectors that run.sh starts (`$NMZ_BIN inspectors ...`) find the
    // config's plugins too.
    if (auto path = plugin_path_for_children(config_.plugin_path); !path.empty()) {
      env.push_back("NMZ_PLUGIN_PATH=" + path);
    }
    if (*endpoint) {
      result_.rest_port = (*endpoint)->port();
      env.push_back("NMZ_REST_PORT=" + std::to_string(result_.rest_port));
      env.push_back("NMZ_REST_URL=http://" + (*endpoint)->address() + ":" + std::to_string(result_.rest_port) + "/api/v3");
      // The run's inspectors must present the endpoint's token (restToken).
      if (!(*endpoint)->token().empty()) env.push_back("NMZ_REST_TOKEN=" + (*endpoint)->token());
    }
    log_->info("run {} in {} (NMZ_REST_PORT={} NMZ_NFQ_NUMBER={} NMZ_NETNS={})", run_.id(), run_.dir.string(),
               result_.rest_port, result_.nfq_number, result_.netns);

    const auto started = std::chrono::steady_clock::now();
    if (config_.run_timeout.count() > 0) {
      deadline_ = started + std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.run_timeout);
    }
    auto run_rc = scripts_->run(script_command(storage_, config_.run_script), env, deadline_);
    orchestrator.stop();
    if (*endpoint) (*endpoint)->stop();
    if (*pb_endpoint) (*pb_endpoint)->stop();
    result_.required_time = std::chrono::steady_clock::now() - started;
    Trace trace = orchestrator.take_trace();
    result_.trace_length = trace.size();
    record_policy_plan();

    if (run_rc && !run_rc->timed_out) result_.run_exit_code = run_rc->status;
    if (auto failure = orchestrator.policy_failure()) {
      // The run went on unperturbed from the failure on: not what was asked.
      result_.status = RunStatus::broken;
      result_.reason = *failure;
    } else if (!run_rc) {
      result_.status = RunStatus::broken;
      result_.reason = "run script: " + run_rc.status().message();
    } else if (run_rc->timed_out) {
      timed_out(config_.run_script);
    } else if (run_rc->status != 0) {
      result_.status = RunStatus::broken;
      result_.reason = "run script " + config_.run_script + " exited with status " + std::to_string(run_rc->status);
    } else {
      validate(env);
    }
    sign(trace, env);
    if (config_.record_coverage) record_coverage();
    if (result_.status == RunStatus::broken || result_.status == RunStatus::timeout) {
      log_->error("run {} is {}: {}", run_.id(), to_string(result_.status), result_.reason);
    }
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
  // While plugins run in this process, a crash (a plugin's fatal signal or
  // escaping exception) must still leave result.json: broken, with the
  // crash report as its reason (plugin_call.hpp).
  void arm_crash_record() {
    RunResult crashed = result_;
    crashed.status = RunStatus::broken;
    crashed.reason = "\x01";
    const std::string json = to_json(crashed);
    const std::string marker = "\\u0001";
    const auto at = json.find(marker);
    if (at == std::string::npos) return;
    set_crash_record(run_.dir / "result.json", json.substr(0, at), json.substr(at + marker.size()));
  }

  // A policy may leave RUN/plan.json (the explore policy does): it goes
  // into result.json as "plan", so that one file says what the run was.
  void record_policy_plan() {
    std::ifstream in(run_.dir / "plan.json");
    if (!in) return;
    std::stringstream text;
    text << in.rdbuf();
    auto plan = nlohmann::json::parse(text.str(), nullptr, false);
    if (plan.is_object()) {
      result_.plan = plan.dump();
    } else {
      log_->warn("{}: not a JSON object; not recorded in result.json", (run_.dir / "plan.json").string());
    }
  }

  void validate(const std::vector<std::string>& env) {
    if (config_.validate_script.empty()) {
      log_->warn("no validate script in the config: run {} counts as passed", run_.id());
      result_.status = RunStatus::passed;
      return;
    }
    auto outcome = scripts_->run(script_command(storage_, config_.validate_script), env, deadline_);
    if (!outcome) {
      result_.status = RunStatus::broken;
      result_.reason = "validate script: " + outcome.status().message();
      return;
    }
    if (outcome->timed_out) return timed_out(config_.validate_script);
    const int rc = result_.validate_exit_code = outcome->status;
    if (rc == 0) {
      result_.status = RunStatus::passed;
      log_->info("run {} passed", run_.id());
    } else {
      result_.status = RunStatus::failed;
      result_.reason = "validate script " + config_.validate_script + " exited with status " + std::to_string(rc);
      log_->warn("run {} failed validation: {}; seed {}; replay: NMZ_SEED={} nmz run {}", run_.id(), result_.reason,
                 result_.seed, result_.seed, storage_.root().string());
    }
  }

  // The run's signature: the trace's abstract and, for runs that were not
  // broken, the output of the `signature` script (kept in signature.out).
  void sign(const Trace& trace, const std::vector<std::string>& env) {
    std::string script_part;
    if (!config_.signature_script.empty() && result_.status != RunStatus::broken) {
      const fs::path out = run_.dir / "signature.out";
      auto rc = scripts_->run(script_command(storage_, config_.signature_script) + " > " + shell_quoted(out.string()),
                              env, deadline_);
      result_.signature_exit_code = rc ? rc->status : 127;
      std::ifstream in(out);
      std::stringstream text;
      text << in.rdbuf();
      script_part = script_abstract(text.str());
      if (result_.signature_exit_code != 0) {
        // Visible in the signature, so that such runs are not mistaken for a behaviour.
        script_part = "signature script failed (" +
                      (!rc ? rc.status().message()
                           : rc->timed_out ? std::string("timed out")
                                           : "exit status " + std::to_string(rc->status)) + ")";
        log_->error("run {}: {}", run_.id(), script_part);
      }
    }
    const auto signature =
        make_run_signature(script_part, config_.signature_trace ? trace_abstract(trace) : std::string());
    result_.signature = signature.id;
    result_.signature_text = signature.text;
  }

  // recordCoverage: what the run's processes covered (RUN/coverage), its
  // points kept in RUN/coverage-points.json before result.json is written,
  // so that the explore policy, which learns from runs that have a
  // result.json, always finds them. A broken or timed-out run's coverage
  // is partial at best: not recorded.
  void record_coverage() {
    if (result_.status != RunStatus::passed && result_.status != RunStatus::failed) return;
    auto points = read_run_coverage(run_.dir);
    nlohmann::json summary;
    if (!points) {
      summary = {{"error", points.status().message()}};
    } else if (!*points) {
      summary = {{"error", (run_.dir / "coverage").string() +
                               ": no .gcda or .exec file (recordCoverage is set; docs/experiments.md, \"Coverage\")"}};
    } else if (auto s = write_file_atomically(run_.dir / kCoveragePointsFile, coverage_points_json(**points).dump(1, '\t') + "\n");
               !s) {
      summary = {{"error", s.message()}};
    } else {
      summary = {{"tool", (*points)->tool},
                 {"coverage_pattern", coverage_pattern(**points)},
                 {"covered_lines", (*points)->lines.size()},
                 {"covered_branches", (*points)->branches.size()}};
    }
    if (summary.contains("error")) log_->error("run {}: coverage not recorded: {}", run_.id(), summary["error"].get<std::string>());
    result_.coverage = summary.dump();
  }

  int clean(const std::vector<std::string>& env) {
    const int outcome = result_.status == RunStatus::passed    ? kExitPassed
                        : result_.status == RunStatus::failed  ? kExitValidationFailed
                        : result_.status == RunStatus::timeout ? kExitTimeout
                                                               : kExitBroken;
    if (config_.clean_script.empty()) return outcome;
    if (result_.status != RunStatus::passed && config_.not_clean_if_validation_fail) {
      log_->info("not cleaning run {} (notCleanIfValidationFail)", run_.id());
      return outcome;
    }
    std::optional<std::chrono::steady_clock::time_point> deadline;
    if (config_.run_timeout.count() > 0) {
      deadline = std::chrono::steady_clock::now() +
                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.run_timeout);
    }
    auto rc = scripts_->run(script_command(storage_, config_.clean_script), env, deadline);
    result_.clean_exit_code = rc ? rc->status : 127;
    if (auto s = write_run_result(run_.dir / "result.json", result_); !s) log_->error("{}", s.message());
    if (rc && rc->status == 0 && !rc->timed_out) return outcome;
    // The experiment's outcome stands; the next run may not, so say so.
    log_->error("clean script {} failed ({}): the next run may find leftovers", config_.clean_script,
                !rc            ? rc.status().message()
                : rc->timed_out ? "killed after runTimeout"
                                : "exit status " + std::to_string(rc->status));
    return kExitBroken;
  }

  void timed_out(const std::string& script) {
    result_.status = RunStatus::timeout;
    result_.reason = script + " was still running after runTimeout (" + sdk::format_duration(config_.run_timeout) +
                     "): its process group was killed";
  }

  const Storage& storage_;
  const Config& config_;
  std::unique_ptr<RunScripts> scripts_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
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
  // What an nmz killed earlier left behind (its run's processes, network
  // namespace, rules, mounts) would break this run.
  clean_leftovers(/*apply=*/true, [](const std::string& line) { named_logger("nmz")->warn("{}", line); });
  auto run = options.claimed_run ? sdk::Result<Storage::Run>(*options.claimed_run) : storage.allocate_run();
  if (!run) {
    std::cerr << "nmz run: " << run.status().message() << "\n";
    return kExitBroken;
  }
  if (options.quiet) redirect_console(run->dir / "console.log");
  add_log_file(run->dir / "nmz.log");
  return Run(storage, *config, std::move(run).value()).execute(options);
}

}  // namespace nmz::core::experiment
