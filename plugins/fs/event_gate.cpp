// SPDX-License-Identifier: Apache-2.0
#include "event_gate.hpp"

#include <fnmatch.h>

#include <string>
#include <utility>

namespace nmz::plugins::fs {
namespace {

bool any_matches(const std::vector<std::string>& globs, const std::string& path) {
  for (const auto& glob : globs) {
    if (::fnmatch(glob.c_str(), path.c_str(), 0) == 0) return true;
  }
  return false;
}

}  // namespace

EventGate::EventGate(EventGateSettings settings, FaultVerdicts& verdicts)
    : settings_(std::move(settings)), verdicts_(verdicts) {
  // ActionWaiter cannot wait "forever"; a century is the same for a test run.
  if (settings_.action_timeout.count() == 0) settings_.action_timeout = std::chrono::hours(24 * 365 * 100);
}

void EventGate::attach(sdk::InspectorHost& host) noexcept { host_.store(&host); }

void EventGate::detach() noexcept {
  host_.store(nullptr);
  waiter_.cancel_all();
}

void EventGate::deliver(sdk::Action action) noexcept {
  try {
    waiter_.deliver(std::move(action));
  } catch (...) {
    // Out of memory: the waiting operation times out or is released at stop.
  }
}

bool EventGate::may_inspect(FsOp op) const noexcept { return settings_.ops.test(static_cast<std::size_t>(op)); }

bool EventGate::inspects(FsOp op) const noexcept {
  return may_inspect(op) && host_.load(std::memory_order_relaxed) != nullptr;
}

bool EventGate::selected(std::string_view path) const {
  if (settings_.path_globs.empty() && settings_.exclude_globs.empty()) return true;
  std::string text(path);
  if (!settings_.path_globs.empty() && !any_matches(settings_.path_globs, text)) return false;
  return !any_matches(settings_.exclude_globs, text);
}

Verdict EventGate::inspect(FsOp op, std::string_view path) noexcept {
  sdk::InspectorHost* host = host_.load();
  if (!host) return {};
  try {
    if (!selected(path)) return {};
    std::string_view name = fs_op_name(op);
    std::string hint;
    hint.reserve(name.size() + 1 + path.size());
    hint.append(name).append(" ").append(path);
    auto action = waiter_.submit_and_wait(
        *host, sdk::make_filesystem_event(std::string(host->entity_id()), name, path, std::move(hint)),
        settings_.action_timeout);
    if (!action) return {};
    auto verdict = verdicts_.decide(op, *action);
    if (!verdict) {
      host->logger().warn(verdict.status().message() + "; " + std::string(name) + " " + std::string(path) +
                          " proceeds");
      return {};
    }
    if (verdict->kind != Verdict::Kind::proceed && host->logger().enabled(sdk::LogLevel::debug)) {
      host->logger().debug("fault for " + std::string(name) + " " + std::string(path) + ": " + action->option);
    }
    return *verdict;
  } catch (...) {
    return {};
  }
}

}  // namespace nmz::plugins::fs
