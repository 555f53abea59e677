// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/export.hpp>
#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::sdk {

// Where a policy delivers its decisions. Implemented by the host.
class NMZ_SDK_API ActionSink {
 public:
  virtual ~ActionSink();
  // Hands one action to the orchestrator, which routes it to the inspector
  // owning `action.entity` (or runs it itself for NopAction and ShellAction)
  // and records it, with its cause event found by `action.event_uuid`, in the
  // trace. Call it at most once per event.
  // Thread: any, concurrently. Never blocks for long: it only enqueues.
  virtual void emit(Action action) noexcept = 0;
};

// Decides when, in what order and whether intercepted events proceed.
//
// Lifecycle, all driven by the host: factory -> configure -> start ->
// queue_event* -> stop -> destructor. The host keeps the plugin library
// loaded until after the destructor returned.
//
// Errors are reported as Status. The methods are not noexcept so that a bug
// that throws reaches the host, which catches it at the call, logs it with
// the policy's name, the method and what(), releases every event the policy
// holds with its default action and lets the rest of the run pass through
// unperturbed (the policy's state is unknown); `nmz run` records the run as
// broken. An override declared noexcept turns the same exception into
// std::terminate, which ends nmz.
//
// A fatal signal that the policy's code raises in one of these calls, on the
// calling thread (a segfault, a stack overflow, abort() or a failed assert),
// is handled the same way, except that the host cannot unwind the policy's
// frames: it returns to its call and abandons them, with whatever they held
// (locks, memory). The crashed policy is then called no more, not even
// stop() or its destructor, and its library stays loaded. A fatal signal on
// a thread the policy started itself, or in host code it calls back
// (ActionSink::emit), still ends nmz, naming the call that was running.
class NMZ_SDK_API ExplorePolicy {
 public:
  ExplorePolicy() = default;
  ExplorePolicy(const ExplorePolicy&) = delete;
  ExplorePolicy& operator=(const ExplorePolicy&) = delete;
  virtual ~ExplorePolicy();

  // Required. Reads the policy's parameters from `context.options()` and
  // rejects bad ones with a Status built by ConfigView::invalid. Called once,
  // on the host's main thread, before start. May block briefly.
  // `context` is borrowed until the destructor.
  virtual Status configure(const ComponentContext& context) = 0;

  // Required. From now on the policy may emit actions into `sink` (borrowed
  // until stop() returns). May start the policy's own threads and timers.
  // Called once, on the host's main thread.
  virtual Status start(ActionSink& sink) = 0;

  // Required. Takes ownership of one event. Must not block: enqueue and
  // return (Namazu's contract); the decision is emitted later through the
  // sink, from any thread. Called from any host thread, possibly
  // concurrently; the policy serialises what needs to be serialised.
  virtual void queue_event(Event event) = 0;

  // Required. Emits a decision for every event still held (its default action,
  // at once: a stopping run must not leave a target wedged), stops the
  // policy's threads, and returns when no emit() is in progress or will
  // follow. Called once, on the host's main thread; may block for that long.
  virtual void stop() = 0;
};

}  // namespace nmz::sdk
