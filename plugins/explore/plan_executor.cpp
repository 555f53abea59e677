// SPDX-License-Identifier: Apache-2.0
#include "plan_executor.hpp"

#include <algorithm>
#include <bit>
#include <cstdio>

#include <nmz/sdk/hash.hpp>
#include <nmz/sdk/proc_sched.hpp>

#include "endpoint_node.hpp"

namespace nmz::plugins::explore {

PlanExecutor::PlanExecutor(Plan plan)
    : plan_(std::move(plan)),
      paused_(plan_.faults.size(), false),
      applied_(plan_.faults.size(), 0),
      anchors_(plan_.faults.size()) {
  for (std::size_t i = 0; i < plan_.faults.size(); ++i) {
    if (plan_.faults[i].anchor == Anchor::run) anchors_[i] = nanoseconds(0);
  }
  // Pids change from run to run: process roles always bind in start order.
  for (RoleSpace space : {RoleSpace::node, RoleSpace::fs_op}) {
    RoleTable& table = space == RoleSpace::node ? nodes_ : fs_ops_;
    if (auto known = plan_.roles.find(role_prefix(space)); known != plan_.roles.end()) {
      for (const auto& name : known->second) {
        if (std::find(table.names.begin(), table.names.end(), name) == table.names.end()) table.names.push_back(name);
      }
      table.seen.assign(table.names.size(), false);
    }
  }
}

std::uint32_t PlanExecutor::RoleTable::rank_of(const std::string& name) {
  auto found = std::find(names.begin(), names.end(), name);
  const auto rank = static_cast<std::size_t>(found - names.begin());
  if (found == names.end()) {
    names.push_back(name);
    seen.push_back(true);
  } else {
    seen[rank] = true;
  }
  return static_cast<std::uint32_t>(rank);
}

std::uint32_t PlanExecutor::RoleTable::shown() const {
  for (std::size_t rank = seen.size(); rank > 0; --rank) {
    if (seen[rank - 1]) return static_cast<std::uint32_t>(rank);
  }
  return 0;
}

bool PlanExecutor::open(std::size_t i, bool touches_target, nanoseconds since_first) {
  if (touches_target && !anchors_[i]) anchors_[i] = since_first;
  if (!anchors_[i]) return false;
  const nanoseconds since_anchor = since_first - *anchors_[i];
  return since_anchor >= plan_.faults[i].start && since_anchor < plan_.faults[i].end;
}

std::optional<std::uint32_t> PlanExecutor::node_rank(const std::string& entity) {
  auto node = endpoint_node(entity);
  if (!node) return std::nullopt;
  return nodes_.rank_of(*node);
}

Verdict PlanExecutor::decide(const sdk::Event& event, nanoseconds since_first) {
  Verdict verdict;
  last_ = std::max(last_, since_first);
  if (event.class_name == sdk::event_class::packet) {
    // The sender is ranked before the receiver: node#0 sent the first packet.
    auto src = node_rank(sdk::option_string(event.option, "src_entity").value_or(""));
    auto dst = node_rank(sdk::option_string(event.option, "dst_entity").value_or(""));
    if (!src || !dst) return verdict;
    if (pair_packets_[{*src, *dst}]++ == 0) pair_order_.emplace_back(*src, *dst);
    for (std::size_t i = 0; i < plan_.faults.size(); ++i) {
      const Fault& f = plan_.faults[i];
      if (role_space(f.kind) != RoleSpace::node) continue;
      bool hit = false;
      if (f.kind == FaultKind::slow_node) hit = *src == f.role;
      if (f.kind == FaultKind::delay_flow) hit = *src == f.role && *dst == f.peer;
      if (f.kind == FaultKind::partition) hit = (*src == f.role) != (*dst == f.role);
      if (!open(i, hit, since_first) || !hit || !event.deferred) continue;
      ++applied_[i];
      if (f.kind == FaultKind::partition) verdict.drop = true;
      verdict.delay = std::max(verdict.delay, f.delay);
    }
  } else if (event.class_name == sdk::event_class::filesystem) {
    auto op = sdk::option_string(event.option, "op");
    if (!op) return verdict;
    const std::uint32_t rank = fs_ops_.rank_of(*op);
    for (std::size_t i = 0; i < plan_.faults.size(); ++i) {
      const Fault& f = plan_.faults[i];
      if (f.kind != FaultKind::fail_fs) continue;
      const bool hit = f.role == rank;
      if (!open(i, hit, since_first) || !hit || !event.deferred || verdict.fs_errno) continue;
      ++applied_[i];
      verdict.fs_errno = f.errno_name;
    }
  } else if (event.class_name == sdk::event_class::proc_set) {
    auto pids = sdk::proc_set_pids(event);
    if (!pids) return verdict;
    std::vector<int> started(*pids);
    std::sort(started.begin(), started.end());
    for (int pid : started) processes_.rank_of(std::to_string(pid));
    for (std::size_t i = 0; i < plan_.faults.size(); ++i) {
      const Fault& f = plan_.faults[i];
      if (f.kind != FaultKind::pause_process || f.role >= processes_.names.size()) continue;
      const int pid = std::stoi(processes_.names[f.role]);
      // Only a process this event lists: the inspector pauses members only.
      const bool listed = std::find(pids->begin(), pids->end(), pid) != pids->end();
      if (!open(i, listed, since_first) || !listed || paused_[i]) continue;
      paused_[i] = true;
      ++applied_[i];
      verdict.pauses[pid] = std::max(verdict.pauses[pid], *anchors_[i] + f.end - since_first);
    }
  }
  return verdict;
}

std::map<std::string, std::string> PlanExecutor::bound() const {
  std::map<std::string, std::string> names;
  for (RoleSpace space : {RoleSpace::node, RoleSpace::process, RoleSpace::fs_op}) {
    const RoleTable& table = space == RoleSpace::node ? nodes_ : space == RoleSpace::process ? processes_ : fs_ops_;
    for (std::size_t i = 0; i < table.names.size(); ++i) {
      if (!table.seen[i]) continue;
      names[std::string(role_prefix(space)) + "#" + std::to_string(i)] =
          (space == RoleSpace::process ? "pid " : "") + table.names[i];
    }
  }
  return names;
}

Catalogue PlanExecutor::observed() const {
  Catalogue c{nodes_.shown(), processes_.shown(), fs_ops_.shown(), {}, last_, {}};
  if (!nodes_.names.empty()) c.names[role_prefix(RoleSpace::node)] = nodes_.names;
  for (const auto& entry : pair_packets_) c.flows.insert(entry.first);
  if (!fs_ops_.names.empty()) c.names[role_prefix(RoleSpace::fs_op)] = fs_ops_.names;
  return c;
}

std::string PlanExecutor::traffic_digest() const {
  std::string text;
  for (const auto& pair : pair_order_) {
    // log2 of the packet count: "about as much", not the exact number, which
    // retransmissions and acknowledgements make differ from run to run.
    text += std::to_string(pair.first) + ">" + std::to_string(pair.second) + "~" +
            std::to_string(std::bit_width(pair_packets_.at(pair))) + " ";
  }
  text += "|";
  for (std::size_t i = 0; i < fs_ops_.names.size(); ++i) {
    if (fs_ops_.seen[i]) text += " " + fs_ops_.names[i];
  }
  text += " | " + std::to_string(processes_.shown());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(sdk::fnv1a64(text)));
  return hex;
}

}  // namespace nmz::plugins::explore
