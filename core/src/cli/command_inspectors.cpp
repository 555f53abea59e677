// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <nmz/sdk/duration.hpp>

#include "cli/commands.hpp"
#include "cli/common_inspector_flags.hpp"
#include "util/signal_watcher.hpp"
#include "cli/verb_flags.hpp"
#include "config/config.hpp"
#include "log/logging.hpp"
#include "orchestrator/detached_inspector_host.hpp"
#include "orchestrator/local_inspector_host.hpp"
#include "orchestrator/orchestrator_session.hpp"
#include "plugin/config_warnings.hpp"
#include "plugin/plugin_call.hpp"
#include "plugin/plugin_loading.hpp"
#include "rest/rest_endpoint.hpp"
#include "rest/rest_inspector_host.hpp"

namespace nmz::core::cli {
namespace {

int fail(const std::string& message, int code) {
  std::cerr << message << "\n";
  return code;
}

int exit_code_for(const sdk::Status& status) { return status.code() == sdk::StatusCode::invalid_argument ? 2 : 1; }

int list_inspectors(const PluginHost& host) {
  std::cout << "usage: nmz inspectors NAME [-autopilot config.toml] [-entity-id ID] [-orchestrator-url URL] "
               "[-strict] [flags] [-- CMD ARGS...]\n\ninspectors:\n";
  for (const ComponentRecord* c : host.components()) {
    if (c->kind == ComponentKind::inspector) std::cout << "  " << c->name << "  " << c->description << "\n";
  }
  return 0;
}

constexpr const char* kCommonFlags =
    "flags every inspector takes:\n"
    "  -autopilot config.toml     run an embedded orchestrator with this config (policy, seed, restPort)\n"
    "  -entity-id ID              this inspector's entity (default _namazu_NAME_inspector)\n"
    "  -orchestrator-url URL      local:// (embedded, the default) or http://HOST:PORT/api/v3\n"
    "  -strict                    the -autopilot config's warnings (unknown keys) are errors\n";

// An inspector's own usage comes from its configure(): the SDK's FlagSet
// (and fs's and proc's own) answer -h with an error holding the usage.
int print_inspector_help(const std::string& name, sdk::Inspector& inspector, const sdk::ComponentContext& context,
                         const sdk::InspectorSettings& settings) {
  const sdk::Status answer = inspector.configure(context, settings);
  if (answer) {
    std::cout << "usage: nmz inspectors " << name << " [flags] [-- CMD ARGS...]\n(the " << name
              << " inspector describes no flags of its own)\n";
  } else {
    std::cout << answer.message() << "\n";
  }
  std::cout << kCommonFlags;
  return 0;
}

// A remote inspector has no config file (-autopilot is for the embedded
// orchestrator), so its fail-open time comes from NMZ_ORCHESTRATOR_TIMEOUT.
sdk::Result<rest::RestInspectorHost::Options> remote_options(const std::string& name, const CommonInspectorFlags& flags,
                                                             const Config& config) {
  auto url = rest::parse_orchestrator_url(flags.orchestrator_url);
  if (!url) return sdk::Status::invalid("nmz inspectors " + name + ": flag -orchestrator-url: " + url.status().message());
  rest::RestInspectorHost::Options options{std::move(url).value(), flags.entity_id, config.orchestrator_timeout};
  if (const char* text = std::getenv("NMZ_ORCHESTRATOR_TIMEOUT"); text != nullptr && *text != '\0') {
    auto timeout = sdk::parse_duration(text);
    if (!timeout || timeout->count() <= 0) {
      return sdk::Status::invalid("nmz inspectors " + name + ": NMZ_ORCHESTRATOR_TIMEOUT=\"" + text +
                                  "\": expected a positive duration such as 10s or 500ms");
    }
    options.orchestrator_timeout = *timeout;
  }
  return options;
}

}  // namespace

int command_inspectors(const std::vector<std::string>& args) {
  init_logging();
  PluginHost host;  // first: destroyed last, after every plugin object
  if (args.empty() || asks_for_help({args[0]})) {
    load_plugins(host, Config{});
    return list_inspectors(host);
  }
  const std::string& name = args[0];
  auto flags = split_common_inspector_flags(name, std::vector<std::string>(args.begin() + 1, args.end()));
  if (!flags) return fail(flags.status().message(), 2);

  auto config = flags->autopilot.empty() ? parse_config("", "<defaults>") : load_config(flags->autopilot);
  if (!config) return fail("nmz inspectors " + name + ": " + config.status().message(), 2);
  // Only the inspector and the embedded orchestrator's policy: loading every
  // plugin was most of a short run's start-up.
  std::vector<std::string> needed{name};
  if (flags->orchestrator_url.rfind("local://", 0) == 0) needed.push_back(config->explore_policy);
  load_plugins_for(host, *config, needed);
  if (auto status = report_config_warnings(*config, host, flags->strict); !status) {
    return fail("nmz inspectors " + name + ": " + status.message(), 2);
  }

  // Declared before the inspector, so destroyed after it: the SDK lends
  // `context` to a component until its destructor has returned.
  HostComponentContext context("inspector." + name,
                               std::make_unique<TomlConfigView>(nullptr, nullptr, config->source, name),
                               resolve_seed(config->seed));
  auto inspector = host.create_inspector(name);
  if (!inspector) return fail("nmz inspectors: " + inspector.status().message(), 2);
  sdk::InspectorSettings settings{flags->entity_id, flags->inspector_args};
  if (asks_for_help(flags->inspector_args)) return print_inspector_help(name, **inspector, context, settings);
  if (auto status = (*inspector)->configure(context, settings); !status) return fail(status.message(), 2);

  sdk::Inspector& target = **inspector;
  SignalWatcher signals([&target](int signal_number) {
    static int count = 0;
    if (++count >= 3) _exit(128 + signal_number);  // the user insists: do not wait for cleanup
    target.request_stop();
  });
  sdk::Inspector::Outcome outcome;
  if (!sdk::needs_orchestrator(target)) {
    // It submits nothing (java's -print-agent-options): no orchestrator,
    // no endpoint, no port taken, nothing logged.
    DetachedInspectorHost endpoint(flags->entity_id);
    outcome = target.run(endpoint);
  } else if (flags->orchestrator_url.rfind("http://", 0) == 0) {
    auto options = remote_options(name, *flags, *config);
    if (!options) return fail(options.status().message(), 2);
    rest::RestInspectorHost endpoint(target, std::move(options).value(),
                                     call_label("inspector", *inspector, "on_action"));
    outcome = target.run(endpoint);
    endpoint.stop();
  } else {
    if (flags->autopilot.empty()) named_logger("nmz")->info("autopilot with the default config (policy \"random\")");
    auto session = start_orchestrator(host, *config, /*collect_trace=*/false);
    if (!session) return fail("nmz inspectors " + name + ": " + session.status().message(), exit_code_for(session.status()));
    // The config's restPort also serves REST (docs/rest-api.md): remote
    // inspectors of other entities can join this autopilot's orchestrator.
    auto rest_endpoint = rest::start_rest_endpoint(*(*session)->orchestrator, *config);
    if (!rest_endpoint) {
      (*session)->orchestrator->stop();
      return fail("nmz inspectors " + name + ": " + rest_endpoint.status().message(),
                  exit_code_for(rest_endpoint.status()));
    }
    LocalInspectorHost endpoint(*(*session)->orchestrator, target, flags->entity_id);
    outcome = target.run(endpoint);
    (*session)->orchestrator->stop();
    if (auto failure = (*session)->orchestrator->policy_failure()) {
      named_logger("nmz")->error("the policy failed during this run, which passed through unperturbed from then on: {}",
                                 *failure);
    }
  }
  if (!outcome.status) return fail("nmz inspectors " + name + ": " + outcome.status.message(), exit_code_for(outcome.status));
  return outcome.exit_code;
}

}  // namespace nmz::core::cli
