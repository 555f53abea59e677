// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <nmz/sdk/signal.hpp>

#include "explore_state.hpp"
#include "fault_plan.hpp"

namespace nmz::plugins::explore {

// What to do with one event.
struct Verdict {
  bool drop = false;                   // a deferred packet: PacketFaultAction
  nanoseconds delay{0};                // release after this long
  std::optional<std::string> fs_errno; // a deferred fs operation: FilesystemFaultAction with it
  std::map<int, nanoseconds> pauses;   // a ProcSetEvent: stop these processes this long
};

// Applies a plan to a run's events: discovers the run's targets (nodes from
// packet endpoints by their stable name, a `-node` name or an address;
// processes from ProcSetEvents' pids, in pid order, i.e. the order they were
// started; filesystem op kinds), binds each role of the plan to its target,
// and decides every event against the faults whose window is open. Node and
// fs op roles bind by name as the plan's `roles` say (what earlier runs
// showed); names the plan does not know take the next ranks in order of
// appearance, the sender of a packet before its receiver. Not thread-safe:
// the policy serialises.
//
// Delays of several open faults do not add up: the largest applies, so a
// composed plan never holds a packet longer than its longest fault says.
// A process is paused once per fault, at the first ProcSetEvent inside the
// window, until the window ends (the proc inspector reports every watch
// interval, so the pause starts up to that late).
class PlanExecutor {
 public:
  explicit PlanExecutor(Plan plan);

  Verdict decide(const sdk::Event& event, nanoseconds since_first);

  // role ("node#1") -> concrete target ("10.0.0.2", "pid 4242", "pre-write").
  [[nodiscard]] std::map<std::string, std::string> bound() const;
  // How many targets the run showed, and a coarse digest of its traffic
  // (which node pairs talked, in which order of first contact, and roughly
  // how much; which op kinds ran): the learner's stand-in for a signature
  // when result.json has none.
  [[nodiscard]] Catalogue observed() const;
  [[nodiscard]] std::string traffic_digest() const;
  // Events each fault acted on, in plan order.
  [[nodiscard]] const std::vector<std::uint64_t>& applied() const { return applied_; }
  // When each fault's anchor was seen, from the run's first event (0 for
  // run-anchored faults; none: its target never showed, so its window never
  // opened). The window was open from anchor + start to anchor + end.
  [[nodiscard]] const std::vector<std::optional<nanoseconds>>& anchors() const { return anchors_; }

 private:
  // One role space: rank -> name, the plan's known names first.
  struct RoleTable {
    std::vector<std::string> names;
    std::vector<bool> seen;
    std::uint32_t rank_of(const std::string& name);
    [[nodiscard]] std::uint32_t shown() const;  // the highest rank seen in this run, plus one
  };

  std::optional<std::uint32_t> node_rank(const std::string& entity);
  // Whether fault i's window is open; an event its fault could act on
  // anchors a target-anchored window first.
  bool open(std::size_t i, bool touches_target, nanoseconds since_first);

  Plan plan_;
  RoleTable nodes_;
  RoleTable processes_;
  RoleTable fs_ops_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pair_order_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> pair_packets_;
  nanoseconds last_{0};  // the latest event, from the first
  std::vector<bool> paused_;
  std::vector<std::uint64_t> applied_;
  std::vector<std::optional<nanoseconds>> anchors_;
};

}  // namespace nmz::plugins::explore
