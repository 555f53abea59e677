// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/local_inspector_host.hpp"

#include "plugin/plugin_call.hpp"

namespace nmz::core {

LocalInspectorHost::LocalInspectorHost(Orchestrator& orchestrator, sdk::Inspector& inspector, std::string entity_id)
    : orchestrator_(orchestrator),
      inspector_(inspector),
      entity_id_(std::move(entity_id)),
      inline_delivery_(inspector.action_delivery() == sdk::Inspector::ActionDelivery::inline_allowed),
      logger_("inspector." + entity_id_) {}

sdk::Status LocalInspectorHost::submit(sdk::Event event) noexcept {
  HostCallbackScope host_code;
  try {
    if (event.entity.empty()) event.entity = entity_id_;
    if (event.entity != entity_id_) {
      return sdk::Status::invalid("event entity \"" + event.entity + "\" is not this inspector's (\"" + entity_id_ +
                                  "\")");
    }
    return orchestrator_.submit(std::move(event), this);
  } catch (const std::exception& e) {
    return sdk::Status::error(sdk::StatusCode::internal, e.what());
  }
}

void LocalInspectorHost::deliver(sdk::Action action) noexcept {
  inspector_.on_action(std::move(action));
}

}  // namespace nmz::core
