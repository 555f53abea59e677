// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>

#include <nmz/sdk/status.hpp>

#include "config/config.hpp"
#include "orchestrator/host_component_context.hpp"
#include "orchestrator/orchestrator.hpp"
#include "orchestrator/run_seed.hpp"
#include "plugin/plugin_host.hpp"

namespace nmz::core {

// The configured policy behind a started orchestrator, with what it borrows.
// Members are declared in lifetime order: the context outlives the
// orchestrator (which owns the policy) that borrows it.
struct OrchestratorSession {
  RunSeed seed;
  std::unique_ptr<HostComponentContext> policy_context;
  std::unique_ptr<Orchestrator> orchestrator;
};

// Creates `config.explore_policy` from `plugins`, configures it from
// `[explorePolicyParam]` with the resolved seed (logged), and starts the
// orchestrator. `skipInitOrchestrator` starts it disabled.
sdk::Result<std::unique_ptr<OrchestratorSession>> start_orchestrator(const PluginHost& plugins, const Config& config,
                                                                     bool collect_trace);

// Creates and configures the policy as start_orchestrator would, then drops
// it without starting it: nmz init's check that explorePolicy exists and
// accepts its `[explorePolicyParam]` values.
sdk::Status check_policy_configures(const PluginHost& plugins, const Config& config);

}  // namespace nmz::core
