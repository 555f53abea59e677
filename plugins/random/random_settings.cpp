// SPDX-License-Identifier: Apache-2.0
#include "random_settings.hpp"

#include <nmz/sdk/duration.hpp>

#include "errno_names.hpp"
#include "policy_options.hpp"

namespace nmz::plugins {
namespace {

using sdk::Result;
using sdk::Status;

constexpr std::string_view kFaultErrno = "faultErrno";

// `faultErrno`: one name or a list of names.
Result<std::vector<int>> read_fault_errnos(const sdk::ConfigView& options) {
  std::vector<std::string> names;
  if (auto list = options.get_string_list(kFaultErrno)) {
    names = list->value_or(std::vector<std::string>{});
    if (list->has_value() && names.empty()) {
      return options.invalid(kFaultErrno, "an errno name such as \"ENOSPC\", or a non-empty list of them");
    }
  } else if (auto single = options.get_string(kFaultErrno)) {
    names.push_back(**single);
  } else {
    return options.invalid(kFaultErrno, "an errno name such as \"ENOSPC\", or a list of them");
  }
  std::vector<int> numbers;
  for (const auto& name : names) {
    auto number = errno_from_name(name);
    if (!number) return options.invalid(kFaultErrno, "errno names such as \"ENOSPC\" (\"" + name + "\" is not one)");
    numbers.push_back(*number);
  }
  return numbers;
}

Status read_intervals(const sdk::ConfigView& options, RandomSettings& settings) {
  auto min = non_negative_duration(options, "minInterval", std::chrono::nanoseconds(0));
  if (!min) return min.status();
  auto max = non_negative_duration(options, "maxInterval", *min);
  if (!max) return max.status();
  if (*max < *min) {
    return options.invalid("maxInterval", "a duration no shorter than minInterval (" + sdk::format_duration(*min) + ")");
  }
  settings.min_interval = *min;
  settings.max_interval = *max;
  auto prioritized = options.get_string_list("prioritizedEntities");
  if (!prioritized) return prioritized.status();
  for (auto& entity : prioritized->value_or(std::vector<std::string>{})) {
    settings.prioritized_entities.insert(std::move(entity));
  }
  return Status::ok();
}

Status read_faults(const sdk::ConfigView& options, RandomSettings& settings) {
  auto p = probability(options, "faultActionProbability", 0.0);
  if (!p) return p.status();
  settings.fault_probability = *p;
  auto errnos = read_fault_errnos(options);
  if (!errnos) return errnos.status();
  settings.fault_errnos = std::move(*errnos);
  return Status::ok();
}

Status read_shell_actions(const sdk::ConfigView& options, sdk::Logger& logger, RandomSettings& settings) {
  auto interval = non_negative_duration(options, "shellActionInterval", std::chrono::nanoseconds(0));
  if (!interval) return interval.status();
  settings.shell_action_interval = *interval;
  auto command = options.get_string("shellActionCommand");
  if (!command) return command.status();
  settings.shell_action_command = command->value_or("");
  if (settings.shell_action_interval.count() > 0 && settings.shell_action_command.empty()) {
    return options.invalid("shellActionCommand", "a command to run every shellActionInterval (" +
                                                     sdk::format_duration(settings.shell_action_interval) + ")");
  }
  if (settings.shell_action_interval.count() == 0 && !settings.shell_action_command.empty()) {
    logger.warn("shellActionCommand is set but shellActionInterval is 0: the command never runs");
  }
  return Status::ok();
}

Status read_proc(const sdk::ConfigView& options, ProcSettings& proc) {
  auto policy = one_of(options, "procPolicy", "mild", {"mild", "extreme", "dirichlet"});
  if (!policy) return policy.status();
  proc.policy = *policy == "mild" ? ProcPolicy::mild : *policy == "extreme" ? ProcPolicy::extreme : ProcPolicy::dirichlet;

  auto use_batch = options.get_bool("procPolicyParam.useBatch");
  if (!use_batch) return use_batch.status();
  proc.use_batch = use_batch->value_or(true);

  auto prioritized = options.get_int("procPolicyParam.prioritized");
  if (!prioritized) return prioritized.status();
  proc.prioritized = prioritized->value_or(3);
  if (proc.prioritized < 0) return options.invalid("procPolicyParam.prioritized", "a number of threads, 0 or more");

  auto reset = probability(options, "procPolicyParam.resetProbability", 0.1);
  if (!reset) return reset.status();
  proc.reset_probability = *reset;

  auto affinity = one_of(options, "procPolicyParam.affinity", "none", {"none", "shuffle", "squeeze"});
  if (!affinity) return affinity.status();
  proc.affinity = *affinity == "none"      ? AffinityMode::none
                  : *affinity == "shuffle" ? AffinityMode::shuffle
                                           : AffinityMode::squeeze;

  auto pause = probability(options, "procPolicyParam.pauseProbability", 0.0);
  if (!pause) return pause.status();
  proc.pause_probability = *pause;
  auto max_pause = options.get_duration("procPolicyParam.maxPause");
  if (!max_pause) return max_pause.status();
  proc.max_pause = max_pause->value_or(std::chrono::milliseconds(50));
  if (proc.max_pause.count() <= 0) return options.invalid("procPolicyParam.maxPause", "a positive duration");
  return Status::ok();
}

}  // namespace

Result<RandomSettings> read_random_settings(const sdk::ConfigView& options, sdk::Logger& logger) {
  RandomSettings settings;
  for (const Status& status : {read_intervals(options, settings), read_faults(options, settings),
                               read_shell_actions(options, logger, settings), read_proc(options, settings.proc)}) {
    if (!status) return status;
  }
  return settings;
}

}  // namespace nmz::plugins
