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
Registrar::~Registrar() = default;

}  // namespace nmz::sdk
