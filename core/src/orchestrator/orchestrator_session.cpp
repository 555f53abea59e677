// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/orchestrator_session.hpp"

#include "log/logging.hpp"
#include "plugin/plugin_call.hpp"

namespace nmz::core {

namespace {

// `config.explore_policy`, created and configured with `context` (which it
// borrows until it is destroyed).
sdk::Result<PluginObject<sdk::ExplorePolicy>> configured_policy(const PluginHost& plugins, const Config& config,
                                                                const HostComponentContext& context) {
  auto policy = plugins.create_policy(config.explore_policy);
  if (!policy) {
    std::string where = config.source.empty() ? "" : config.source + ": key explorePolicy: ";
    return sdk::Status::error(policy.status().code(), where + policy.status().message());
  }
  sdk::Status status;
  if (auto failure = call_plugin(call_label("policy", *policy, "configure"),
                                 [&] { status = (*policy)->configure(context); })) {
    if (failure->crashed) keep_crashed_component(std::move(policy).value());
    return sdk::Status::error(sdk::StatusCode::internal, failure->reason);
  }
  if (!status) return status;
  return policy;
}

std::unique_ptr<HostComponentContext> policy_context(const Config& config, const RunSeed& seed) {
  return std::make_unique<HostComponentContext>("policy." + config.explore_policy, TomlConfigView::for_policy(config),
                                                seed);
}

}  // namespace

sdk::Result<std::unique_ptr<OrchestratorSession>> start_orchestrator(const PluginHost& plugins, const Config& config,
                                                                     bool collect_trace) {
  auto session = std::make_unique<OrchestratorSession>();
  session->seed = resolve_seed(config.seed);
  session->policy_context = policy_context(config, session->seed);
  auto policy = configured_policy(plugins, config, *session->policy_context);
  if (!policy) return policy.status();
  named_logger("orchestrator")
      ->info("explore policy \"{}\", seed {}{}", config.explore_policy, session->seed.text,
             session->seed.chosen ? " (chosen; set NMZ_SEED to replay)" : "");
  session->orchestrator = std::make_unique<Orchestrator>(
      std::move(policy).value(), Orchestrator::Options{collect_trace, !config.skip_init_orchestrator, config.action_timeout});
  if (auto status = session->orchestrator->start(); !status) return status;
  return session;
}

sdk::Status check_policy_configures(const PluginHost& plugins, const Config& config) {
  const auto context = policy_context(config, resolve_seed(config.seed));  // outlives the policy
  auto policy = configured_policy(plugins, config, *context);
  return policy ? sdk::Status::ok() : policy.status();
}

}  // namespace nmz::core
