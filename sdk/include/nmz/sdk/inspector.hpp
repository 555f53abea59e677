// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nmz/sdk/context.hpp>
#include <nmz/sdk/export.hpp>
#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

namespace nmz::sdk {

// What an inspector is given by `nmz inspectors NAME [flags]` (or by any
// other host front end, such as container mode).
struct InspectorSettings {
  // This inspector's entity id: every event it submits carries it, and the
  // actions for them are routed back by it.
  std::string entity_id;
  // The flags and arguments that the host did not consume itself (the host
  // handles -autopilot, -entity-id and -orchestrator-url), in order, "--"
  // included. Parse them with nmz::sdk::FlagSet for Namazu-compatible syntax.
  std::vector<std::string> args;
};

// Implemented by the host; connects an inspector to an orchestrator, local
// (in-process) or remote (REST): the inspector cannot tell which.
class NMZ_SDK_API InspectorHost {
 public:
  virtual ~InspectorHost();
  // Sends one event towards the policy. Thread: any, concurrently. Never
  // blocks for long. An error means the event was not accepted (malformed,
  // or the host is shutting down) and no action will come for it.
  virtual Status submit(Event event) noexcept = 0;
  [[nodiscard]] virtual Logger& logger() noexcept = 0;
  [[nodiscard]] virtual std::string_view entity_id() const noexcept = 0;
};

// Intercepts something nondeterministic and turns each occurrence into an
// Event.
//
// Signals: the host blocks SIGINT, SIGTERM and SIGHUP in all of its threads
// and turns them into request_stop(). An inspector that starts processes
// must unblock them in the child (posix_spawnattr_setsigmask or
// pthread_sigmask after fork) so the target sees the default mask. Lifecycle, driven by the host: factory -> configure -> run (on a
// thread of its own) -> destructor; request_stop and on_action may be called
// while run is in progress.
//
// Errors are reported as Status. The methods are not noexcept so that a bug
// that throws reaches the host, which catches it at the call and logs it with
// the inspector's name, the method and what(): configure and run then fail
// with that message (exit status 1), an exception out of on_action or
// request_stop is logged and the inspector goes on. An override declared
// noexcept turns the same exception into std::terminate, which ends nmz.
// A fatal signal that the inspector's code raises in one of these calls, on
// the calling thread (a segfault, a stack overflow, abort() or a failed
// assert), fails the call the same way, but the host abandons the
// inspector's frames instead of unwinding them: the crashed inspector is then
// called no more (not even request_stop or its destructor), and its library
// stays loaded. A fatal signal on a thread the inspector started itself
// (such as a FUSE worker), or in host code it calls (InspectorHost::submit,
// Logger), still ends nmz, naming the call that was running.
class NMZ_SDK_API Inspector {
 public:
  Inspector() = default;
  Inspector(const Inspector&) = delete;
  Inspector& operator=(const Inspector&) = delete;
  virtual ~Inspector();

  // Required. Parses `settings.args` and checks everything that can be
  // checked before anything is changed on the machine; a bad flag is an
  // invalid_argument Status whose message names the flag. Called once, on
  // the host's main thread. May block briefly. `context.options()` is empty
  // for inspectors; `context` is borrowed until the destructor.
  virtual Status configure(const ComponentContext& context, const InspectorSettings& settings) = 0;

  // Required. Does the inspection until it is finished (for example the
  // inspected command exited) or request_stop() was called, then undoes
  // everything it changed on the machine (rules, mounts, scheduler
  // attributes) and returns the exit status nmz should end with (a wrapped
  // command's own exit status, or 0). Errors that prevent inspecting at all
  // are returned as a Status. `host` is borrowed until run returns.
  // Thread: a host thread dedicated to this call; it may block as long as it
  // needs to.
  struct Outcome {
    Status status;
    int exit_code = 0;
  };
  virtual Outcome run(InspectorHost& host) = 0;

  // Required. Asks run() to finish soon. Thread: any (typically the host's
  // signal-handling thread). Must not block; may be called more than once,
  // and before run() started.
  virtual void request_stop() = 0;

  // Required. The action decided for an event this inspector submitted.
  // Exactly one arrives per accepted deferred event; for non-deferred events
  // the host only forwards actions meant for inspectors (never NopAction).
  // If the orchestrator is lost, the host answers held deferred events with
  // their default action itself (fail open).
  // Thread: a host delivery thread of this inspector's entity, one call at a
  // time. Must not block for long (hand the action to the waiting operation).
  // May still be called after run() returned, until the host has shut its
  // orchestrator down: ignore actions that come too late.
  // With ActionDelivery::inline_allowed the thread may be another one; see
  // action_delivery().
  virtual void on_action(Action action) = 0;

  // How the host may call on_action.
  enum class ActionDelivery {
    // On a host thread dedicated to this entity (the default): costs one
    // thread wake-up per action, but on_action may take locks that the
    // inspector holds while it calls submit().
    delivery_thread,
    // On whichever thread produced the action, when no earlier action of
    // this entity is still being delivered: often inside this inspector's
    // own InspectorHost::submit() call, before it returns (a zero-delay
    // policy decides on the submitting thread). Still one call at a time and
    // in order. Choose it only when submit() is never called with a lock
    // held that on_action takes, and on_action never blocks: it then runs
    // on the policy's threads, and every entity waits while it runs. Saves a
    // thread wake-up per event, which is most of the cost of a zero-delay
    // run on a busy packet or filesystem path.
    inline_allowed,
  };
  // Optional. Called by the host once, after configure() succeeded and
  // before run(), on its main thread. Must not block.
  [[nodiscard]] virtual ActionDelivery action_delivery() const noexcept;
};

// Optional, implemented next to Inspector (`class X : public Inspector,
// public OrchestratorOptional`) by an inspector some of whose runs submit
// no event at all, such as java's -print-agent-options, which prints a
// JAVA_TOOL_OPTIONS value and exits. New in SDK 0.6: an older host never
// asks and always starts an orchestrator.
class NMZ_SDK_API OrchestratorOptional {
 public:
  virtual ~OrchestratorOptional();
  // False: this run submits nothing, so the host starts no orchestrator,
  // policy or endpoint, and run()'s InspectorHost refuses every submit().
  // Called by the host once, after configure() succeeded and before run(),
  // on its main thread. Must not block.
  [[nodiscard]] virtual bool needs_orchestrator() const noexcept = 0;
};

// Whether `inspector`'s run needs an orchestrator (see OrchestratorOptional).
inline bool needs_orchestrator(const Inspector& inspector) noexcept {
  const auto* optional = dynamic_cast<const OrchestratorOptional*>(&inspector);
  return optional == nullptr || optional->needs_orchestrator();
}

}  // namespace nmz::sdk
