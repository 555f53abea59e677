// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>

#include "orchestrator/trace.hpp"

namespace nmz::core::experiment {

// What makes two traces "the same" for counting distinct interleavings.
// With partial-order reduction (Namazu's default) only each entity's own
// sequence of events matters, not how entities interleave. Events compare
// by class, entity and replay hint (by option when there is no hint), never
// by uuid or time: a packet's bytes carry random TCP sequence numbers, so
// inspectors that give hints make runs comparable. Without reduction the
// whole action sequence (class, entity, cause event) must be equal.
std::string trace_signature(const Trace& trace, bool po_reduction);

}  // namespace nmz::core::experiment
