// SPDX-License-Identifier: Apache-2.0
// Out-of-line destructors: these key functions put each interface's vtable and
// type_info in libnmz_sdk.so only, so host and plugins share one copy.
#include <nmz/sdk/context.hpp>
#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/registrar.hpp>

namespace nmz::sdk {

Logger::~Logger() = default;
ConfigView::~ConfigView() = default;
ComponentContext::~ComponentContext() = default;
ActionSink::~ActionSink() = default;
ExplorePolicy::~ExplorePolicy() = default;
InspectorHost::~InspectorHost() = default;
Inspector::~Inspector() = default;
Inspector::ActionDelivery Inspector::action_delivery() const noexcept { return ActionDelivery::delivery_thread; }
OrchestratorOptional::~OrchestratorOptional() = default;
Registrar::~Registrar() = default;
ParameterRegistrar::~ParameterRegistrar() = default;

namespace detail {

namespace {
thread_local std::string creation_failure;
}  // namespace

void record_creation_failure(std::string_view why) noexcept {
  try {
    creation_failure.assign(why);
  } catch (...) {
    creation_failure.clear();
  }
}

std::string take_creation_failure() noexcept {
  std::string why;
  why.swap(creation_failure);
  return why;
}

}  // namespace detail

}  // namespace nmz::sdk
