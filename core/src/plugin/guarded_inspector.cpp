// SPDX-License-Identifier: Apache-2.0
#include "plugin/guarded_inspector.hpp"

#include "log/logging.hpp"

namespace nmz::core {

namespace {

constexpr int kFailuresLogged = 10;

std::filesystem::path path_of(const std::shared_ptr<const LoadedLibrary>& library) {
  return library ? library->path : std::filesystem::path();
}

}  // namespace

GuardedInspector::GuardedInspector(std::unique_ptr<sdk::Inspector> inspector, const std::string& name,
                                   std::shared_ptr<const LoadedLibrary> library)
    : library_(std::move(library)),
      inspector_(std::move(inspector)),
      configure_label_("inspector", name, path_of(library_), "configure"),
      run_label_("inspector", name, path_of(library_), "run"),
      request_stop_label_("inspector", name, path_of(library_), "request_stop"),
      on_action_label_("inspector", name, path_of(library_), "on_action") {}

GuardedInspector::~GuardedInspector() {
  if (crashed_) keep_crashed_component(std::move(library_), inspector_.release());
}

template <class Body>
std::optional<std::string> GuardedInspector::call(const PluginCallLabel& label, Body&& body) {
  if (crashed_) {
    std::lock_guard lock(crash_mutex_);
    return std::string("not called: the inspector crashed earlier (") + crash_ + ")";
  }
  auto failure = call_plugin(label, std::forward<Body>(body));
  if (!failure) return std::nullopt;
  if (failure->crashed) {
    {
      std::lock_guard lock(crash_mutex_);
      if (crash_.empty()) crash_ = failure->reason;
    }
    crashed_ = true;
  }
  return failure->reason;
}

sdk::Status GuardedInspector::configure(const sdk::ComponentContext& context, const sdk::InspectorSettings& settings) {
  sdk::Status status;
  if (auto failure = call(configure_label_, [&] { status = inspector_->configure(context, settings); })) {
    return sdk::Status::error(sdk::StatusCode::internal, *failure);
  }
  return status;
}

sdk::Inspector::Outcome GuardedInspector::run(sdk::InspectorHost& host) {
  Outcome outcome;
  if (auto failure = call(run_label_, [&] { outcome = inspector_->run(host); })) {
    return {sdk::Status::error(sdk::StatusCode::internal, *failure), 1};
  }
  return outcome;
}

void GuardedInspector::request_stop() {
  if (auto failure = call(request_stop_label_, [&] { inspector_->request_stop(); })) log_failure(*failure);
}

void GuardedInspector::on_action(sdk::Action action) {
  if (auto failure = call(on_action_label_, [&] { inspector_->on_action(std::move(action)); })) {
    log_failure(*failure);
  }
}

sdk::Inspector::ActionDelivery GuardedInspector::action_delivery() const noexcept {
  return inspector_->action_delivery();
}

void GuardedInspector::log_failure(const std::string& failure) {
  const int logged = failures_logged_.fetch_add(1);
  if (logged < kFailuresLogged) {
    named_logger("nmz")->error("{}; {}{}", failure,
                               crashed_ ? "the crashed inspector is called no more" : "the inspector goes on",
                               logged + 1 == kFailuresLogged ? " (further failures of this inspector are not logged)"
                                                             : "");
  }
}

}  // namespace nmz::core
