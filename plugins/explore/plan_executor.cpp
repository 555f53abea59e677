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
    : plan_(std::move(plan)), paused_(plan_.faults.size(), false), applied_(plan_.faults.size(), 0) {}

std::uint32_t PlanExecutor::rank_of(std::vector<std::string>& seen, const std::string& target) {
  auto found = std::find(seen.begin(), seen.end(), target);
  if (found != seen.end()) return static_cast<std::uint32_t>(found - seen.begin());
  seen.push_back(target);
  return static_cast<std::uint32_t>(seen.size() - 1);
}

std::optional<std::uint32_t> PlanExecutor::node_rank(const std::string& entity) {
  auto node = endpoint_node(entity);
  if (!node) return std::nullopt;
  return rank_of(nodes_, *node);
}

Verdict PlanExecutor::decide(const sdk::Event& event, nanoseconds since_first) {
  Verdict verdict;
  if (event.class_name == sdk::event_class::packet) {
    // The sender is ranked before the receiver: node#0 sent the first packet.
    auto src = node_rank(sdk::option_string(event.option, "src_entity").value_or(""));
    auto dst = node_rank(sdk::option_string(event.option, "dst_entity").value_or(""));
    if (!src || !dst) return verdict;
    if (pair_packets_[{*src, *dst}]++ == 0) pair_order_.emplace_back(*src, *dst);
    if (!event.deferred) return verdict;
    for (std::size_t i = 0; i < plan_.faults.size(); ++i) {
      const Fault& f = plan_.faults[i];
      if (role_space(f.kind) != RoleSpace::node || !open(f, since_first)) continue;
      bool hit = false;
      if (f.kind == FaultKind::slow_node) hit = *src == f.role;
      if (f.kind == FaultKind::delay_flow) hit = *src == f.role && *dst == f.peer;
      if (f.kind == FaultKind::partition) hit = (*src == f.role) != (*dst == f.role);
      if (!hit) continue;
      ++applied_[i];
      if (f.kind == FaultKind::partition) verdict.drop = true;
      verdict.delay = std::max(verdict.delay, f.delay);
    }
  } else if (event.class_name == sdk::event_class::filesystem) {
    auto op = sdk::option_string(event.option, "op");
    if (!op) return verdict;
    const std::uint32_t rank = rank_of(fs_ops_, *op);
    if (!event.deferred) return verdict;
    for (std::size_t i = 0; i < plan_.faults.size(); ++i) {
      const Fault& f = plan_.faults[i];
      if (f.kind != FaultKind::fail_fs || f.role != rank || !open(f, since_first)) continue;
      ++applied_[i];
      verdict.fs_errno = f.errno_name;
      break;
    }
  } else if (event.class_name == sdk::event_class::proc_set) {
    auto pids = sdk::proc_set_pids(event);
    if (!pids) return verdict;
    for (int pid : *pids) rank_of(processes_, std::to_string(pid));
    for (std::size_t i = 0; i < plan_.faults.size(); ++i) {
      const Fault& f = plan_.faults[i];
      if (f.kind != FaultKind::pause_process || paused_[i] || f.role >= processes_.size() || !open(f, since_first)) continue;
      const int pid = std::stoi(processes_[f.role]);
      // Only a process this event lists: the inspector pauses members only.
      if (std::find(pids->begin(), pids->end(), pid) == pids->end()) continue;
      paused_[i] = true;
      ++applied_[i];
      verdict.pauses[pid] = std::max(verdict.pauses[pid], f.end - since_first);
    }
  }
  return verdict;
}

std::map<std::string, std::string> PlanExecutor::bound() const {
  std::map<std::string, std::string> names;
  for (std::size_t i = 0; i < nodes_.size(); ++i) names["node#" + std::to_string(i)] = nodes_[i];
  for (std::size_t i = 0; i < processes_.size(); ++i) names["process#" + std::to_string(i)] = "pid " + processes_[i];
  for (std::size_t i = 0; i < fs_ops_.size(); ++i) names["fsop#" + std::to_string(i)] = fs_ops_[i];
  return names;
}

Catalogue PlanExecutor::observed() const {
  return Catalogue{static_cast<std::uint32_t>(nodes_.size()), static_cast<std::uint32_t>(processes_.size()),
                   static_cast<std::uint32_t>(fs_ops_.size())};
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
  for (const auto& op : fs_ops_) text += " " + op;
  text += " | " + std::to_string(processes_.size());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(sdk::fnv1a64(text)));
  return hex;
}

}  // namespace nmz::plugins::explore
