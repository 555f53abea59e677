// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/detached_inspector_host.hpp"

namespace nmz::core {

DetachedInspectorHost::DetachedInspectorHost(std::string entity_id)
    : entity_id_(std::move(entity_id)), logger_("inspector." + entity_id_) {}

sdk::Status DetachedInspectorHost::submit(sdk::Event) noexcept {
  return sdk::Status::error(sdk::StatusCode::unavailable,
                            "this inspector run said it needs no orchestrator, and has none to submit to");
}

}  // namespace nmz::core
