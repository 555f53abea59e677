// SPDX-License-Identifier: Apache-2.0
#include "experiment/trace_signature.hpp"

#include <map>
#include <vector>

namespace nmz::core::experiment {

namespace {
std::string event_digest(const sdk::Event& event) {
  return event.class_name + '\x1f' + event.entity + '\x1f' + (event.replay_hint.empty() ? event.option : event.replay_hint);
}
}  // namespace

std::string trace_signature(const Trace& trace, bool po_reduction) {
  std::string signature;
  if (po_reduction) {
    std::map<std::string, std::vector<std::string>> per_entity;
    for (const auto& entry : trace) {
      if (entry.event) per_entity[entry.event->entity].push_back(event_digest(*entry.event));
    }
    for (const auto& [entity, events] : per_entity) {
      signature += entity + '\x1e';
      for (const auto& digest : events) signature += digest + '\x1d';
    }
    return signature;
  }
  for (const auto& entry : trace) {
    signature += entry.action.class_name + '\x1f' + entry.action.entity + '\x1f' +
                 (entry.event ? event_digest(*entry.event) : std::string()) + '\x1d';
  }
  return signature;
}

}  // namespace nmz::core::experiment
