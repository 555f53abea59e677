// SPDX-License-Identifier: Apache-2.0
#include "fault_plan.hpp"

#include <cstdio>

namespace nmz::plugins::explore {
namespace {

using nlohmann::json;

constexpr FaultKind kKinds[] = {FaultKind::slow_node, FaultKind::delay_flow, FaultKind::partition,
                                FaultKind::pause_process, FaultKind::fail_fs};

std::string role_name(RoleSpace space, std::uint32_t rank) {
  return std::string(role_prefix(space)) + "#" + std::to_string(rank);
}

std::string with_binding(const std::string& role, const std::map<std::string, std::string>& bound) {
  auto found = bound.find(role);
  return found == bound.end() ? role : role + " (" + found->second + ")";
}

std::string seconds(nanoseconds t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", std::chrono::duration<double>(t).count());
  return text;
}

std::string milliseconds(nanoseconds t) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(t).count()) + " ms";
}

std::string window(const Fault& fault) {
  if (fault.anchor == Anchor::target) {
    return "from " + seconds(fault.start) + " to " + seconds(fault.end) + " after its first " +
           (role_space(fault.kind) == RoleSpace::node ? "packet" : "event");
  }
  return "from t=" + seconds(fault.start) + " to t=" + seconds(fault.end);
}

}  // namespace

const char* fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::slow_node: return "slow-node";
    case FaultKind::delay_flow: return "delay-flow";
    case FaultKind::partition: return "partition";
    case FaultKind::pause_process: return "pause-process";
    case FaultKind::fail_fs: return "fail-fs";
  }
  return "slow-node";
}

sdk::Result<FaultKind> fault_kind_from_name(std::string_view name) {
  for (FaultKind kind : kKinds) {
    if (name == fault_kind_name(kind)) return kind;
  }
  return sdk::Status::invalid("unknown fault kind \"" + std::string(name) +
                              "\" (expected slow-node, delay-flow, partition, pause-process or fail-fs)");
}

RoleSpace role_space(FaultKind kind) {
  switch (kind) {
    case FaultKind::pause_process: return RoleSpace::process;
    case FaultKind::fail_fs: return RoleSpace::fs_op;
    default: return RoleSpace::node;
  }
}

const char* role_prefix(RoleSpace space) {
  switch (space) {
    case RoleSpace::node: return "node";
    case RoleSpace::process: return "process";
    case RoleSpace::fs_op: return "fsop";
  }
  return "node";
}

const char* magnitude_name(nanoseconds delay) {
  if (delay >= kLongDelay) return "long";
  return delay >= kMediumDelay ? "medium" : "short";
}

const char* phase_name(const Fault& fault) { return fault.start.count() == 0 ? "early" : "late"; }

std::string Fault::target() const {
  std::string name = std::string(fault_kind_name(kind)) + " " + role_name(role_space(kind), role);
  if (kind == FaultKind::delay_flow) name += "->" + role_name(RoleSpace::node, peer);
  return name;
}

std::string Fault::arm() const {
  std::string name = target();
  if (kind == FaultKind::slow_node || kind == FaultKind::delay_flow) name += std::string(" ") + magnitude_name(delay);
  return name + " " + phase_name(*this);
}

ArmFactors arm_factors(std::string_view arm) {
  ArmFactors factors;
  std::size_t word = 0;
  while (!arm.empty()) {
    const std::size_t space = arm.find(' ');
    const std::string_view part = arm.substr(0, space);
    arm = space == std::string_view::npos ? std::string_view{} : arm.substr(space + 1);
    if (word == 0) factors.kind = part;
    if (word++ < 2) {
      factors.target += (factors.target.empty() ? "" : " ") + std::string(part);
    } else if (part == "short" || part == "medium" || part == "long") {
      factors.magnitude = part;
    } else if (part == "early" || part == "late") {
      factors.phase = part;
    }
  }
  return factors;
}

std::string describe(const Fault& fault, const std::map<std::string, std::string>& bound) {
  const std::string target = with_binding(role_name(role_space(fault.kind), fault.role), bound);
  switch (fault.kind) {
    case FaultKind::slow_node:
      return "delayed " + target + " -> * by " + milliseconds(fault.delay) + " " + window(fault);
    case FaultKind::delay_flow:
      return "delayed " + target + " -> " + with_binding(role_name(RoleSpace::node, fault.peer), bound) + " by " +
             milliseconds(fault.delay) + " " + window(fault);
    case FaultKind::partition:
      return "partitioned " + target + " from the other nodes " + window(fault);
    case FaultKind::pause_process:
      return "paused " + target + " " + window(fault);
    case FaultKind::fail_fs:
      return "failed " + target + " with " + fault.errno_name + " " + window(fault);
  }
  return {};
}

std::string describe(const Plan& plan, const std::map<std::string, std::string>& bound) {
  if (plan.faults.empty()) return "no fault";
  std::string words;
  for (const Fault& fault : plan.faults) words += (words.empty() ? "" : "; ") + describe(fault, bound);
  return words;
}

json to_json(const Plan& plan) {
  json faults = json::array();
  for (const Fault& f : plan.faults) {
    json fault{{"kind", fault_kind_name(f.kind)},
               {"role", f.role},
               {"start_ns", f.start.count()},
               {"end_ns", f.end.count()}};
    if (f.anchor == Anchor::target) fault["anchor"] = "target";
    if (f.kind == FaultKind::delay_flow) fault["peer"] = f.peer;
    if (f.kind == FaultKind::slow_node || f.kind == FaultKind::delay_flow) fault["delay_ns"] = f.delay.count();
    if (f.kind == FaultKind::fail_fs) fault["errno"] = f.errno_name;
    faults.push_back(std::move(fault));
  }
  json object{{"faults", std::move(faults)}};
  if (!plan.roles.empty()) object["roles"] = plan.roles;
  return object;
}

sdk::Result<Plan> plan_from_json(const json& object) {
  if (!object.is_object() || !object.contains("faults") || !object["faults"].is_array()) {
    return sdk::Status::invalid("a plan is an object with an array \"faults\"");
  }
  Plan plan;
  std::size_t index = 0;
  for (const json& item : object["faults"]) {
    const std::string where = "faults[" + std::to_string(index++) + "]";
    auto fail = [&](const std::string& what) { return sdk::Status::invalid(where + ": " + what); };
    if (!item.is_object()) return fail("not an object");
    if (!item.contains("kind") || !item["kind"].is_string()) return fail("no string \"kind\"");
    auto kind = fault_kind_from_name(item["kind"].get<std::string>());
    if (!kind) return fail(kind.status().message());
    Fault fault;
    fault.kind = *kind;
    auto unsigned_member = [&](const char* key, bool required) -> sdk::Result<std::uint64_t> {
      if (!item.contains(key)) {
        if (required) return fail(std::string("no \"") + key + "\"");
        return std::uint64_t{0};
      }
      const json& value = item[key];
      if (!value.is_number_integer() || (!value.is_number_unsigned() && value.get<std::int64_t>() < 0)) {
        return fail(std::string("\"") + key + "\" must be an integer of 0 or more");
      }
      return value.get<std::uint64_t>();
    };
    const bool delays = fault.kind == FaultKind::slow_node || fault.kind == FaultKind::delay_flow;
    auto role = unsigned_member("role", true);
    auto peer = unsigned_member("peer", fault.kind == FaultKind::delay_flow);
    auto start = unsigned_member("start_ns", true);
    auto end = unsigned_member("end_ns", true);
    auto delay = unsigned_member("delay_ns", delays);
    for (const auto* member : {&role, &peer, &start, &end, &delay}) {
      if (!*member) return member->status();
    }
    fault.role = static_cast<std::uint32_t>(*role);
    fault.peer = static_cast<std::uint32_t>(*peer);
    fault.start = nanoseconds(static_cast<std::int64_t>(*start));
    fault.end = nanoseconds(static_cast<std::int64_t>(*end));
    fault.delay = nanoseconds(static_cast<std::int64_t>(*delay));
    if (fault.end < fault.start) return fail("\"end_ns\" is before \"start_ns\"");
    if (fault.kind == FaultKind::delay_flow && fault.peer == fault.role) return fail("\"peer\" equals \"role\"");
    if (item.contains("anchor")) {
      const json& anchor = item["anchor"];
      if (anchor != "run" && anchor != "target") return fail("\"anchor\" must be \"run\" or \"target\"");
      fault.anchor = anchor == "target" ? Anchor::target : Anchor::run;
    }
    if (fault.kind == FaultKind::fail_fs) {
      if (!item.contains("errno") || !item["errno"].is_string()) return fail("no string \"errno\"");
      fault.errno_name = item["errno"].get<std::string>();
    }
    plan.faults.push_back(std::move(fault));
  }
  if (object.contains("roles")) {
    const json& roles = object["roles"];
    const auto bad = sdk::Status::invalid("\"roles\" must map \"node\", \"process\" or \"fsop\" to arrays of names");
    if (!roles.is_object()) return bad;
    for (const auto& [space, names] : roles.items()) {
      if (space != "node" && space != "process" && space != "fsop") return bad;
      if (!names.is_array()) return bad;
      for (const json& name : names) {
        if (!name.is_string()) return bad;
        plan.roles[space].push_back(name.get<std::string>());
      }
    }
  }
  return plan;
}

}  // namespace nmz::plugins::explore
