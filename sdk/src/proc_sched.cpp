// SPDX-License-Identifier: Apache-2.0
#include <nmz/sdk/proc_sched.hpp>

#include <charconv>

#include <nlohmann/json.hpp>

namespace nmz::sdk {
namespace {

using nlohmann::json;

Result<std::vector<int>> decimal_list(const Event& event, const char* key, bool required) {
  if (event.class_name != event_class::proc_set) {
    return Status::invalid("expected a ProcSetEvent, got " + event.class_name);
  }
  auto option = json::parse(event.option, nullptr, false);
  auto it = option.is_object() ? option.find(key) : option.end();
  if (!option.is_object() || it == option.end()) {
    if (required) return Status::invalid(std::string("ProcSetEvent option has no \"") + key + "\" list");
    return std::vector<int>{};
  }
  if (!it->is_array()) return Status::invalid(std::string("ProcSetEvent \"") + key + "\" must be a list");
  std::vector<int> ids;
  for (const auto& item : *it) {
    // Namazu sends thread ids as decimal strings; numbers are accepted too.
    int id = 0;
    if (item.is_number_integer()) {
      id = item.get<int>();
    } else if (item.is_string()) {
      const auto& s = item.get_ref<const std::string&>();
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
      if (ec != std::errc() || end != s.data() + s.size()) {
        return Status::invalid("ProcSetEvent \"" + std::string(key) + "\" has a non-numeric id \"" + s + "\"");
      }
    } else {
      return Status::invalid(std::string("ProcSetEvent \"") + key + "\" items must be decimal strings");
    }
    ids.push_back(id);
  }
  return ids;
}

json id_strings(const std::vector<int>& ids) {
  json list = json::array();
  for (int id : ids) list.push_back(std::to_string(id));
  return list;
}

}  // namespace

Event make_proc_set_event(std::string entity, const std::vector<int>& tids, const std::vector<int>& pids) {
  json option{{"procs", id_strings(tids)}};
  if (!pids.empty()) option["pids"] = id_strings(pids);
  return make_event(std::move(entity), event_class::proc_set, false, option.dump());
}

Result<std::vector<int>> proc_set_tids(const Event& event) { return decimal_list(event, "procs", true); }
Result<std::vector<int>> proc_set_pids(const Event& event) { return decimal_list(event, "pids", false); }

Action make_proc_set_sched_action(const Event& event, const ProcSchedPlan& plan) {
  json attrs = json::object();
  for (const auto& [tid, a] : plan.attrs) {
    json entry{{"Policy", static_cast<std::uint32_t>(a.policy)},
               {"Flags", a.flags},
               {"Nice", a.nice},
               {"Priority", a.priority},
               {"Runtime", a.runtime.count()},
               {"Deadline", a.deadline.count()},
               {"Period", a.period.count()}};
    if (!a.cpus.empty()) entry["Cpus"] = a.cpus;
    attrs[std::to_string(tid)] = std::move(entry);
  }
  json option{{"attrs", std::move(attrs)}};
  if (!plan.pauses.empty()) {
    json pauses = json::object();
    for (const auto& [pid, duration] : plan.pauses) pauses[std::to_string(pid)] = duration.count();
    option["pauses"] = std::move(pauses);
  }
  return make_action(event, action_class::proc_set_sched, option.dump());
}

Result<ProcSchedPlan> proc_sched_plan(const Action& action) {
  if (action.class_name != action_class::proc_set_sched) {
    return Status::invalid("expected a ProcSetSchedAction, got " + action.class_name);
  }
  ProcSchedPlan plan;
  try {
    auto option = json::parse(action.option);
    for (const auto& [tid_text, entry] : option.at("attrs").items()) {
      SchedAttr a;
      a.policy = static_cast<SchedPolicy>(entry.value("Policy", 0U));
      a.flags = entry.value("Flags", std::uint64_t{0});
      a.nice = entry.value("Nice", 0);
      a.priority = entry.value("Priority", 0U);
      a.runtime = std::chrono::nanoseconds(entry.value("Runtime", std::int64_t{0}));
      a.deadline = std::chrono::nanoseconds(entry.value("Deadline", std::int64_t{0}));
      a.period = std::chrono::nanoseconds(entry.value("Period", std::int64_t{0}));
      if (entry.contains("Cpus")) a.cpus = entry.at("Cpus").get<std::vector<int>>();
      plan.attrs.emplace(std::stoi(tid_text), std::move(a));
    }
    if (option.contains("pauses")) {
      for (const auto& [pid_text, ns] : option.at("pauses").items()) {
        plan.pauses.emplace(std::stoi(pid_text), std::chrono::nanoseconds(ns.get<std::int64_t>()));
      }
    }
  } catch (const std::exception& e) {
    return Status::invalid(std::string("malformed ProcSetSchedAction option: ") + e.what());
  }
  return plan;
}

}  // namespace nmz::sdk
