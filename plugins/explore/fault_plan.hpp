// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <nmz/sdk/status.hpp>

// A run's plan for the explore policy: one to three faults, each aimed at a
// *role* (the k-th distinct node, process or filesystem operation kind the
// run shows), bound to a concrete target when the run first shows it. Roles
// rather than addresses or ports, so that a plan means the same thing in
// every run of an experiment even when ports and pids change.
namespace nmz::plugins::explore {

using std::chrono::nanoseconds;

enum class FaultKind {
  slow_node,      // packets sent by node A wait `delay`
  delay_flow,     // packets from node A to node B wait `delay`
  partition,      // packets between node A and any other node are dropped
  pause_process,  // process A is stopped (SIGSTOP) for the window
  fail_fs,        // filesystem operations of kind A fail with `errno_name`
};

const char* fault_kind_name(FaultKind kind);
sdk::Result<FaultKind> fault_kind_from_name(std::string_view name);

// What a role counts: distinct packet endpoints (node names, or addresses),
// distinct process ids of ProcSetEvents, distinct filesystem op kinds.
enum class RoleSpace { node, process, fs_op };

RoleSpace role_space(FaultKind kind);
const char* role_prefix(RoleSpace space);  // "node", "process", "fsop"

// Where a fault's window is measured from: the run's first event, or the
// first event of the fault's own target (the first packet node A sends, or
// A sends to B, or A takes part in; the first operation of the fs op kind;
// the first ProcSetEvent listing the process). Targets that start late (a
// client started after the server, a node that joins) have their own start,
// where their ordering with the others is decided; a window measured from
// the run's start would often close before such a target said anything.
enum class Anchor { run, target };

struct Fault {
  FaultKind kind = FaultKind::slow_node;
  Anchor anchor = Anchor::run;
  std::uint32_t role = 0;     // the k-th distinct node / process / op kind of the run, from 0
  std::uint32_t peer = 0;     // delay_flow: the destination node's rank
  nanoseconds delay{0};       // slow_node, delay_flow
  nanoseconds start{0};       // window, from the anchor
  nanoseconds end{0};
  std::string errno_name;     // fail_fs

  // The bandit's arm: its target (kind and roles), for delays the magnitude
  // class, and the window's phase ("slow-node node#1 long early"; see
  // arm_factors). Parameters inside a class and phase are drawn anew.
  [[nodiscard]] std::string target() const;  // "slow-node node#1", "delay-flow node#0->node#2"
  [[nodiscard]] std::string arm() const;
  bool operator==(const Fault&) const = default;
};

// Delay magnitude classes, by the timeouts they can cross: below 200 ms a
// delay reorders messages (jitter, a slow link); from 200 ms to 1 s it
// outlasts leases, heartbeats and request timeouts; from 1 s it outlasts
// election and session timeouts (etcd's 1 s, ZooKeeper's ticks).
inline constexpr nanoseconds kMediumDelay = std::chrono::milliseconds(200);
inline constexpr nanoseconds kLongDelay = std::chrono::seconds(1);
const char* magnitude_name(nanoseconds delay);  // "short", "medium", "long"

// A window's phase: "early" opens at its target's first event (start 0),
// where elections, membership and first leases are decided; "late" opens
// later, while the target is at work (writes, lease hand-overs, re-elections).
const char* phase_name(const Fault& fault);

// The factors an arm's name is made of; the bandit pools the statistics of
// all arms sharing one (bandit.hpp). Empty when the name has no such part
// (fault kinds without delay; names written before phases existed).
struct ArmFactors {
  std::string kind;    // "slow-node"
  std::string target;  // "slow-node node#1"
  std::string magnitude;
  std::string phase;
};
ArmFactors arm_factors(std::string_view arm);

// The stable names (ethernet `-node` names or addresses, fs op kinds) the
// roles of one role space were bound to, by rank: {"node": ["c1", "server",
// "c2"]} makes node#1 the node named "server" in every run, whichever sends
// first. Names not listed take the next ranks in order of appearance.
using RoleNames = std::map<std::string, std::vector<std::string>>;

struct Plan {
  std::vector<Fault> faults;
  RoleNames roles;  // how roles bind; empty: in order of appearance
  bool operator==(const Plan&) const = default;
};

// `bound` names the concrete targets roles were bound to in a run
// ("node#1" -> "10.0.0.2"); unbound roles are written as roles.
std::string describe(const Fault& fault, const std::map<std::string, std::string>& bound = {});
std::string describe(const Plan& plan, const std::map<std::string, std::string>& bound = {});

nlohmann::json to_json(const Plan& plan);
// Errors say which fault and member is wrong.
sdk::Result<Plan> plan_from_json(const nlohmann::json& json);

}  // namespace nmz::plugins::explore
