// SPDX-License-Identifier: Apache-2.0
#include "plugin/guarded_inspector.hpp"

#include "log/logging.hpp"

namespace nmz::core {

namespace {

constexpr int kFailuresLogged = 10;

}  // namespace

GuardedInspector::GuardedInspector(std::unique_ptr<sdk::Inspector> inspector, const std::string& name,
                                   const std::filesystem::path& library)
    : inspector_(std::move(inspector)),
      configure_label_("inspector", name, library, "configure"),
      run_label_("inspector", name, library, "run"),
      request_stop_label_("inspector", name, library, "request_stop"),
      on_action_label_("inspector", name, library, "on_action") {}

sdk::Status GuardedInspector::configure(const sdk::ComponentContext& context, const sdk::InspectorSettings& settings) {
  sdk::Status status;
  if (auto thrown = call_plugin(configure_label_, [&] { status = inspector_->configure(context, settings); })) {
    return sdk::Status::error(sdk::StatusCode::internal, *thrown);
  }
  return status;
}

sdk::Inspector::Outcome GuardedInspector::run(sdk::InspectorHost& host) {
  Outcome outcome;
  if (auto thrown = call_plugin(run_label_, [&] { outcome = inspector_->run(host); })) {
    return {sdk::Status::error(sdk::StatusCode::internal, *thrown), 1};
  }
  return outcome;
}

void GuardedInspector::request_stop() {
  if (auto thrown = call_plugin(request_stop_label_, [&] { inspector_->request_stop(); })) log_failure(*thrown);
}

void GuardedInspector::on_action(sdk::Action action) {
  if (auto thrown = call_plugin(on_action_label_, [&] { inspector_->on_action(std::move(action)); })) {
    log_failure(*thrown);
  }
}

sdk::Inspector::ActionDelivery GuardedInspector::action_delivery() const noexcept {
  return inspector_->action_delivery();
}

void GuardedInspector::log_failure(const std::string& failure) {
  const int logged = failures_logged_.fetch_add(1);
  if (logged < kFailuresLogged) {
    named_logger("nmz")->error("{}; the inspector goes on{}", failure,
                               logged + 1 == kFailuresLogged ? " (further exceptions of this inspector are not logged)"
                                                             : "");
  }
}

}  // namespace nmz::core
