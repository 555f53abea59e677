// SPDX-License-Identifier: Apache-2.0
#include "netfault_planner.hpp"

#include <algorithm>

#include "endpoint_node.hpp"

namespace nmz::plugins::netfault {
namespace {

sdk::Status check_range(const sdk::ConfigView& config, const char* low_key, nanoseconds low, const char* high_key,
                        nanoseconds high) {
  if (low.count() < 0) return config.invalid(low_key, "a duration of 0 or more");
  if (high < low) return config.invalid(high_key, std::string("a duration not below ") + low_key);
  return sdk::Status::ok();
}

sdk::Status check_probability(const sdk::ConfigView& config, const char* key, double value) {
  if (!(value >= 0 && value <= 1)) return config.invalid(key, "a probability between 0 and 1");
  return sdk::Status::ok();
}

}  // namespace

const char* fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::none:
      return "none";
    case FaultKind::delay:
      return "delay";
    case FaultKind::partition:
      return "partition";
    case FaultKind::clog:
      return "clog";
    case FaultKind::duplicate:
      return "duplicate";
  }
  return "none";
}

sdk::Result<NetfaultParams> read_netfault_params(const sdk::ConfigView& config) {
  NetfaultParams p;
  struct DurationKey {
    const char* key;
    nanoseconds* target;
  };
  const DurationKey durations[] = {
      {"minInterval", &p.min_interval},          {"maxInterval", &p.max_interval},
      {"faultStartMin", &p.fault_start_min},     {"faultStartMax", &p.fault_start_max},
      {"faultDurationMin", &p.fault_duration_min}, {"faultDurationMax", &p.fault_duration_max},
      {"victimMinDelay", &p.victim_min_delay},   {"victimMaxDelay", &p.victim_max_delay},
  };
  for (const auto& d : durations) {
    auto value = config.get_duration(d.key);
    if (!value) return value.status();
    if (*value) *d.target = **value;
  }
  // Namazu's random policy lets maxInterval default to minInterval.
  if (auto max = config.get_duration("maxInterval"); max && !*max) p.max_interval = std::max(p.max_interval, p.min_interval);
  // The table lists each range as (low, high) neighbours.
  for (std::size_t i = 0; i + 1 < std::size(durations); i += 2) {
    const DurationKey& low = durations[i];
    const DurationKey& high = durations[i + 1];
    if (auto status = check_range(config, low.key, *low.target, high.key, *high.target); !status) return status;
  }
  for (auto [key, target] : {std::pair{"faultActionProbability", &p.fault_action_probability},
                             std::pair{"duplicateProbability", &p.duplicate_probability}}) {
    auto value = config.get_double(key);
    if (!value) return value.status();
    if (*value) *target = **value;
    if (auto status = check_probability(config, key, *target); !status) return status;
  }
  auto nodes = config.get_string_list("nodes");
  if (!nodes) return nodes.status();
  if (*nodes) p.nodes = **nodes;
  auto expected = config.get_int("expectedNodes");
  if (!expected) return expected.status();
  if (*expected) p.expected_nodes = **expected;
  if (p.expected_nodes < 1) return config.invalid("expectedNodes", "an integer of 1 or more");
  auto faults = config.get_string_list("faults");
  if (!faults) return faults.status();
  if (*faults) {
    p.faults.clear();
    for (const auto& name : **faults) {
      auto known = {FaultKind::delay, FaultKind::partition, FaultKind::clog, FaultKind::duplicate};
      auto match = std::find_if(known.begin(), known.end(), [&](FaultKind k) { return name == fault_kind_name(k); });
      if (match == known.end()) {
        return config.invalid("faults", "a list of \"delay\", \"partition\", \"clog\", \"duplicate\" (got \"" + name +
                                            "\")");
      }
      p.faults.push_back(*match);
    }
  }
  return p;
}

NetfaultPlanner::NetfaultPlanner(NetfaultParams params, std::uint64_t seed) : params_(std::move(params)), rng_(seed) {
  // Drawn up front, in a fixed order, so the same seed gives the same plan
  // whatever the traffic.
  if (!params_.faults.empty()) {
    kind_ = params_.faults[std::uniform_int_distribution<std::size_t>(0, params_.faults.size() - 1)(rng_)];
  }
  std::size_t candidates = params_.nodes.empty() ? static_cast<std::size_t>(params_.expected_nodes) : params_.nodes.size();
  victim_rank_ = std::uniform_int_distribution<std::size_t>(0, candidates - 1)(rng_);
  if (!params_.nodes.empty()) victim_ = params_.nodes[victim_rank_];
  window_start_ = uniform(params_.fault_start_min, params_.fault_start_max);
  window_length_ = uniform(params_.fault_duration_min, params_.fault_duration_max);
}

nanoseconds NetfaultPlanner::uniform(nanoseconds low, nanoseconds high) {
  if (high <= low) return low;
  return nanoseconds(std::uniform_int_distribution<std::int64_t>(low.count(), high.count())(rng_));
}

std::optional<std::string> NetfaultPlanner::node_of(const std::string& entity) {
  auto node = endpoint_node(entity);
  if (!node) return std::nullopt;
  if (!params_.nodes.empty()) {
    // A listed node matches by name, or by address for unnamed endpoints.
    auto listed = std::find(params_.nodes.begin(), params_.nodes.end(), *node);
    if (listed == params_.nodes.end()) return std::nullopt;
    return *listed;
  }
  if (std::find(seen_nodes_.begin(), seen_nodes_.end(), *node) == seen_nodes_.end()) {
    seen_nodes_.push_back(*node);
    if (seen_nodes_.size() == victim_rank_ + 1) victim_ = *node;
  }
  return node;
}

Decision NetfaultPlanner::decide(const sdk::Event& event, nanoseconds since_first) {
  Decision decision;
  decision.delay = uniform(params_.min_interval, params_.max_interval);
  if (event.class_name != sdk::event_class::packet || !event.deferred) return decision;
  auto src = node_of(sdk::option_string(event.option, "src_entity").value_or(""));
  auto dst = node_of(sdk::option_string(event.option, "dst_entity").value_or(""));
  // Drawn for every packet so that the random stream does not depend on
  // whether the window is open.
  bool random_fault = std::bernoulli_distribution(params_.fault_action_probability)(rng_);
  bool duplicate = std::bernoulli_distribution(params_.duplicate_probability)(rng_);
  nanoseconds victim_delay = uniform(params_.victim_min_delay, params_.victim_max_delay);
  if (random_fault) {
    decision.drop = true;
    return decision;
  }
  bool in_window = since_first >= window_start() && since_first < window_end();
  if (!in_window || !victim_) return decision;
  bool from_victim = src == victim_;
  bool to_victim = dst == victim_;
  bool touches = from_victim || to_victim;
  bool crosses = from_victim != to_victim;
  switch (kind_) {
    case FaultKind::none:
      break;
    case FaultKind::delay:
      if (touches) decision.delay += victim_delay;
      break;
    case FaultKind::partition:
      decision.drop = crosses;
      break;
    case FaultKind::clog:
      decision.clog = crosses;
      break;
    case FaultKind::duplicate:
      if (touches && duplicate) decision.duplicates = 1;
      break;
  }
  return decision;
}

std::string NetfaultPlanner::describe() const {
  if (kind_ == FaultKind::none) return "no targeted fault (faults = [])";
  std::string victim = victim_ ? "\"" + *victim_ + "\""
                               : "the node seen " + std::to_string(victim_rank_ + 1) + (victim_rank_ == 0 ? "st" : victim_rank_ == 1 ? "nd" : victim_rank_ == 2 ? "rd" : "th");
  return std::string("fault ") + fault_kind_name(kind_) + " on " + victim + " from " +
         std::to_string(std::chrono::duration<double>(window_start()).count()) + "s to " +
         std::to_string(std::chrono::duration<double>(window_end()).count()) + "s after the first event";
}

}  // namespace nmz::plugins::netfault
