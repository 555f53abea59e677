// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/orchestrator_session.hpp"

#include "log/logging.hpp"

namespace nmz::core {

sdk::Result<std::unique_ptr<OrchestratorSession>> start_orchestrator(const PluginHost& plugins, const Config& config,
                                                                     bool collect_trace) {
  auto policy = plugins.create_policy(config.explore_policy);
  if (!policy) {
    std::string where = config.source.empty() ? "" : config.source + ": key explorePolicy: ";
    return sdk::Status::error(policy.status().code(), where + policy.status().message());
  }
  auto session = std::make_unique<OrchestratorSession>();
  session->seed = resolve_seed(config.seed);
  session->policy_context = std::make_unique<HostComponentContext>(
      "policy." + config.explore_policy, TomlConfigView::for_policy(config), session->seed);
  {
    const PluginCallLabel label = call_label("policy", *policy, "configure");
    PluginCallScope call(label);
    if (auto status = (*policy)->configure(*session->policy_context); !status) return status;
  }
  named_logger("orchestrator")
      ->info("explore policy \"{}\", seed {}{}", config.explore_policy, session->seed.text,
             session->seed.chosen ? " (chosen; set NMZ_SEED to replay)" : "");
  session->orchestrator = std::make_unique<Orchestrator>(
      std::move(policy).value(), Orchestrator::Options{collect_trace, !config.skip_init_orchestrator, config.action_timeout});
  if (auto status = session->orchestrator->start(); !status) return status;
  return session;
}

}  // namespace nmz::core
