// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nmz/sdk/signal.hpp>

namespace nmz::core {

// Where the actions of one entity go: an in-process inspector, or a REST
// client's action queue. Implemented by endpoints.
class ActionDestination {
 public:
  virtual ~ActionDestination() = default;
  // Called from the entity's own delivery thread, one call at a time, so a
  // slow destination delays only its own entity.
  virtual void deliver(sdk::Action action) noexcept = 0;
};

}  // namespace nmz::core
