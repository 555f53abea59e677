// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include <spdlog/logger.h>

#include <nmz/sdk/explore_policy.hpp>
#include <nmz/sdk/signal.hpp>
#include <nmz/sdk/status.hpp>

#include "orchestrator/action_destination.hpp"
#include "orchestrator/entity_mailbox.hpp"
#include "orchestrator/shell_action_runner.hpp"
#include "orchestrator/trace.hpp"
#include "plugin/loaded_library.hpp"
#include "plugin/plugin_call.hpp"

namespace nmz::core {

// Routes events from endpoints to the explore policy, and each action the
// policy emits back to the endpoint that owns its entity; runs
// orchestrator-side actions (NopAction, ShellAction) itself; records every
// handled action with its cause event in a trace.
//
// While orchestration is disabled (REST control, skipInitOrchestrator),
// events bypass the policy and get their default action at once.
//
// An exception out of a policy call (a plugin's bug) is caught: it is logged
// naming the policy and the call, every held event gets its default action,
// and orchestration stays disabled for the rest of the run (the policy's
// state is unknown; what it still emits is dropped). policy_failure() says
// so, for `nmz run` to record the run as broken. A fatal signal raised by the
// policy's code in one of those calls is handled the same way (call_plugin),
// and the crashed policy is then called no more: neither its stop() nor its
// destructor runs, and its library stays loaded (keep_crashed_component).
class Orchestrator final {
 public:
  struct Options {
    bool collect_trace = false;
    bool start_enabled = true;
    // An event the policy has not answered after this long gets its default
    // action (fail open) and a warning. Zero: no limit.
    std::chrono::nanoseconds action_timeout{0};
  };

  Orchestrator(PluginObject<sdk::ExplorePolicy> policy, Options options);
  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;
  ~Orchestrator();

  // Starts the policy. Call once, after the policy was configured. An
  // exception out of the policy's start() is an error Status naming it.
  sdk::Status start();
  // Refuses new events, waits for the submit() calls already inside to
  // return, stops the policy (which releases what it holds), answers any
  // event still held with its default action (fail open), and delivers every
  // queued action before returning. Idempotent. Never call it from inside
  // submit() (a policy's queue_event): it would wait for itself.
  void stop();

  // Endpoint side. Thread: any, concurrently; never blocks for long.
  // Routes later actions for `event.entity` to `destination` (which must
  // stay valid until stop() returned or the entity is detached).
  sdk::Status submit(sdk::Event event, ActionDestination* destination);
  // Registers an entity before its first event (a REST long-poller).
  void attach(const std::string& entity, ActionDestination* destination);
  // Forgets `entity` when its actions go to `destination` and nothing of it
  // is pending, queued or being delivered, and `destination_idle` (called
  // with the entity's mailbox locked, so no delivery runs meanwhile) agrees.
  // True when the entity is gone (or was never attached to `destination`):
  // no action reaches `destination` for it any more, and the caller may
  // free it. Thread: any.
  bool detach(const std::string& entity, const ActionDestination* destination,
              const std::function<bool()>& destination_idle);

  // Enabling is refused once the policy failed.
  void set_enabled(bool enabled);
  [[nodiscard]] bool enabled() const noexcept { return enabled_.load(); }
  // The first exception a policy call threw ("exception in plugin policy
  // ...") or fatal signal it raised ("SIGSEGV in plugin policy ..."), if
  // one did. Thread: any.
  [[nodiscard]] std::optional<std::string> policy_failure() const;

  // The trace so far (collect_trace only); moves it out.
  Trace take_trace();
  // Events handed out and not yet answered.
  [[nodiscard]] std::size_t pending_events() const;

 private:
  struct PendingEvent {
    sdk::Event event;
    std::chrono::system_clock::time_point arrived;  // read only for the trace
    std::chrono::steady_clock::time_point submitted;  // for the action timeout
    // The event's entity's mailbox: its action needs no second lookup.
    // The event holds it (EntityMailbox::hold), so it is not detached
    // before the event's action was posted.
    EntityMailbox* mailbox;
  };
  // The pending table is split into shards by uuid hash so that concurrent
  // entities rarely contend on one lock.
  struct PendingShard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, PendingEvent> events;
  };
  static constexpr std::size_t kShards = 16;

  // What the policy emits into. Kept with a crashed policy, whose threads
  // may still emit after the orchestrator is gone: it then drops everything.
  class PolicySink final : public sdk::ActionSink {
   public:
    explicit PolicySink(Orchestrator& orchestrator) : orchestrator_(orchestrator) {}
    void emit(sdk::Action action) noexcept override;
    // Called by the orchestrator's destructor.
    void orphan() noexcept { orphaned_ = true; }

   private:
    Orchestrator& orchestrator_;
    std::atomic<bool> orphaned_{false};
  };

  // The policy's actions; dropped once it failed.
  void emit(sdk::Action action) noexcept;
  // Handles an action of the policy's or one the orchestrator decided itself.
  void answer(sdk::Action action) noexcept;
  // After a policy call that threw or crashed.
  void fail_open(const PluginCallFailure& failure);
  PendingShard& shard_for(const std::string& uuid);
  std::shared_ptr<EntityMailbox> mailbox_for(const std::string& entity, ActionDestination* destination);
  // `mailbox` is the entity's when the caller knows it, else null.
  void route(sdk::Action action, EntityMailbox* mailbox);
  void release_pending();
  // The action-timeout thread: answers events held longer than the timeout.
  void expire_pending();
  void release_expired(std::chrono::steady_clock::time_point now);

  std::shared_ptr<spdlog::logger> log_;
  // Before the policy, which borrows it until destroyed.
  std::unique_ptr<PolicySink> policy_sink_ = std::make_unique<PolicySink>(*this);
  PluginObject<sdk::ExplorePolicy> policy_;
  Options options_;
  std::atomic<bool> enabled_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<bool> policy_failed_{false};
  // Set before policy_failed_ when the failure was a fatal signal.
  std::atomic<bool> policy_crashed_{false};
  mutable std::mutex failure_mutex_;
  std::optional<std::string> policy_failure_;
  // submit() calls past their stopped_ check: stop() waits for them, since an
  // immediate policy answers inside submit() and delivers through a mailbox
  // that stop() destroys.
  std::atomic<std::size_t> submits_inside_{0};
  PendingShard shards_[kShards];

  std::mutex mailboxes_mutex_;
  // Shared with whoever posts into a mailbox without holding an event of
  // its entity, so that a detach meanwhile does not free it under them.
  std::map<std::string, std::shared_ptr<EntityMailbox>, std::less<>> mailboxes_;

  std::mutex trace_mutex_;
  Trace trace_;

  // Reset by stop(), which thereby waits for queued shell actions: a fault
  // script the policy asked for runs before the run is declared over.
  std::unique_ptr<ShellActionRunner> shell_runner_ = std::make_unique<ShellActionRunner>();

  // A crash inside one of these policy calls names it (plugin_call.hpp).
  PluginCallLabel start_label_;
  PluginCallLabel queue_event_label_;
  PluginCallLabel stop_label_;

  std::mutex expiry_mutex_;
  std::condition_variable expiry_wakeup_;
  bool expiry_stopping_ = false;
  std::thread expiry_thread_;
};

}  // namespace nmz::core
