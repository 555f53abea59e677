// SPDX-License-Identifier: Apache-2.0
#pragma once
// Toolkit, not contract (docs/abi-policy.md): compiled into each plugin from
// libnmz_sdk_toolkit.a; nothing declared here crosses the plugin boundary.

#include <chrono>
#include <memory>
#include <optional>

#include <nmz/sdk/inspector.hpp>
#include <nmz/sdk/signal.hpp>

namespace nmz::sdk {

// For inspectors that hold an operation on the calling thread until its
// action arrives (a FUSE request, an intercepted call): matches actions to
// the waiting threads by event uuid. Thread-safe.
class ActionWaiter {
 public:
  ActionWaiter();
  ActionWaiter(const ActionWaiter&) = delete;
  ActionWaiter& operator=(const ActionWaiter&) = delete;
  ~ActionWaiter();

  // Submits `event` (a uuid is assigned if it has none) and blocks the
  // calling thread until its action is delivered, `timeout` passes, or
  // cancel_all() is called. Returns the action, or nothing when the caller
  // should fail open (proceed as if accepted): submit failed, time out, or
  // cancelled.
  std::optional<Action> submit_and_wait(InspectorHost& host, Event event, std::chrono::nanoseconds timeout);

  // Hands an action to its waiter (call it from Inspector::on_action).
  // Returns false when no thread waits for it (it came too late).
  bool deliver(Action action);

  // Releases every waiting thread with nothing, now and for later calls
  // (use when stopping).
  void cancel_all();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace nmz::sdk
