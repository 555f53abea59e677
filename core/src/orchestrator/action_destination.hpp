// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nmz/sdk/signal.hpp>

namespace nmz::core {

// Where the actions of one entity go: an in-process inspector, or a REST
// client's action queue. Implemented by endpoints.
class ActionDestination {
 public:
  virtual ~ActionDestination() = default;
  // Called one call at a time, in order. By default from the entity's own
  // delivery thread, so a slow destination delays only its own entity.
  virtual void deliver(sdk::Action action) noexcept = 0;
  // True when deliver() is quick, never blocks, and may run on the thread
  // that emitted the action, even inside a submit() of the same entity
  // (sdk::Inspector::ActionDelivery::inline_allowed). Asked whenever the
  // destination is attached.
  [[nodiscard]] virtual bool accepts_inline_delivery() const noexcept { return false; }
};

}  // namespace nmz::core
