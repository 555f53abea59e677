// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include <nmz/sdk/action_waiter.hpp>
#include <nmz/sdk/inspector.hpp>

#include "fault_verdict.hpp"
#include "operation_gate.hpp"

namespace nmz::plugins::fs {

struct EventGateSettings {
  FsOpSet ops;
  std::vector<std::string> path_globs;     // empty: every path
  std::vector<std::string> exclude_globs;
  std::chrono::nanoseconds action_timeout{0};  // 0: wait as long as the policy wants
};

// The OperationGate of `nmz inspectors fs`: an inspected operation on a
// matching path becomes a deferred FilesystemEvent, and the calling FUSE
// worker waits for its action. Without an action (submit refused, time out,
// stopping) the operation proceeds: the inspector fails open.
class EventGate final : public OperationGate {
 public:
  EventGate(EventGateSettings settings, FaultVerdicts& verdicts);

  // Until attach() and after detach(), nothing is inspected.
  void attach(sdk::InspectorHost& host) noexcept;
  void detach() noexcept;
  // Hands an action to its waiting operation (Inspector::on_action).
  void deliver(sdk::Action action) noexcept;

  [[nodiscard]] bool inspects(FsOp op) const noexcept override;
  [[nodiscard]] bool may_inspect(FsOp op) const noexcept override;
  Verdict inspect(FsOp op, std::string_view path) noexcept override;

 private:
  [[nodiscard]] bool selected(std::string_view path) const;

  EventGateSettings settings_;
  FaultVerdicts& verdicts_;
  sdk::ActionWaiter waiter_;
  std::atomic<sdk::InspectorHost*> host_{nullptr};
};

}  // namespace nmz::plugins::fs
