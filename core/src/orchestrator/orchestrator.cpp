// SPDX-License-Identifier: Apache-2.0
#include "orchestrator/orchestrator.hpp"

#include <algorithm>
#include <functional>
#include <vector>

#include <nmz/sdk/duration.hpp>

#include "log/logging.hpp"

namespace nmz::core {

using sdk::Status;

Orchestrator::Orchestrator(PluginObject<sdk::ExplorePolicy> policy, Options options)
    : log_(named_logger("orchestrator")),
      policy_(std::move(policy)),
      options_(options),
      enabled_(options.start_enabled),
      start_label_(call_label("policy", policy_, "start")),
      queue_event_label_(call_label("policy", policy_, "queue_event")),
      stop_label_(call_label("policy", policy_, "stop")) {}

Orchestrator::~Orchestrator() {
  stop();
  if (policy_crashed_) {
    // Its threads may go on emitting: into a sink that drops everything.
    // (One already past the orphaned check meets policy_failed_ in emit().)
    policy_sink_->orphan();
    keep_crashed_component(nullptr, policy_sink_.release());
    keep_crashed_component(std::move(policy_));
  }
}

Status Orchestrator::start() {
  if (started_.exchange(true)) return Status::invalid("orchestrator already started");
  Status status;
  if (auto failure = call_plugin(start_label_, [&] { status = policy_->start(*policy_sink_); })) {
    policy_crashed_ = failure->crashed;
    status = Status::error(sdk::StatusCode::internal, failure->reason);
  }
  if (!status) {
    stopped_ = true;
    return status;
  }
  if (options_.action_timeout.count() > 0) expiry_thread_ = std::thread([this] { expire_pending(); });
  if (!enabled_) log_->info("orchestration starts disabled: events pass through until it is enabled");
  return Status::ok();
}

void Orchestrator::stop() {
  if (stopped_.exchange(true)) return;
  for (auto inside = submits_inside_.load(); inside != 0; inside = submits_inside_.load()) {
    submits_inside_.wait(inside);
  }
  if (expiry_thread_.joinable()) {
    {
      std::lock_guard lock(expiry_mutex_);
      expiry_stopping_ = true;
    }
    expiry_wakeup_.notify_all();
    expiry_thread_.join();
  }
  // A crashed policy is called no more (PluginCallFailure::crashed).
  if (started_ && !policy_crashed_) {
    if (auto failure = call_plugin(stop_label_, [&] { policy_->stop(); })) fail_open(*failure);
  }
  // A policy that kept events past stop() must not leave their operations
  // held forever: answer them here.
  release_pending();
  std::map<std::string, std::shared_ptr<EntityMailbox>, std::less<>> mailboxes;
  {
    std::lock_guard lock(mailboxes_mutex_);
    mailboxes.swap(mailboxes_);
  }
  mailboxes.clear();  // each mailbox delivers what it holds, then joins
  // The policy has stopped and pending events are answered: no emit() can
  // come any more, so the runner can go.
  shell_runner_.reset();
}

namespace {

// What default_action needs. Without a trace nothing else of a pending event
// is read again, and a packet's payload can be 64 KiB.
sdk::Event routing_part(const sdk::Event& event) {
  sdk::Event part;
  part.uuid = event.uuid;
  part.entity = event.entity;
  part.class_name = event.class_name;
  part.deferred = event.deferred;
  return part;
}

}  // namespace

Orchestrator::PendingShard& Orchestrator::shard_for(const std::string& uuid) {
  return shards_[std::hash<std::string>{}(uuid) % kShards];
}

std::shared_ptr<EntityMailbox> Orchestrator::mailbox_for(const std::string& entity, ActionDestination* destination) {
  std::lock_guard lock(mailboxes_mutex_);
  auto it = mailboxes_.find(entity);
  if (it == mailboxes_.end()) {
    if (destination == nullptr) return nullptr;
    it = mailboxes_.emplace(entity, std::make_shared<EntityMailbox>(destination)).first;
  }
  return it->second;
}

void Orchestrator::attach(const std::string& entity, ActionDestination* destination) {
  if (stopped_) return;
  std::lock_guard lock(mailboxes_mutex_);
  auto it = mailboxes_.find(entity);
  if (it == mailboxes_.end()) {
    mailboxes_.emplace(entity, std::make_shared<EntityMailbox>(destination));
  } else {
    it->second->redirect(destination);
  }
}

bool Orchestrator::detach(const std::string& entity, const ActionDestination* destination,
                          const std::function<bool()>& destination_idle) {
  std::shared_ptr<EntityMailbox> retired;
  {
    std::lock_guard lock(mailboxes_mutex_);
    auto it = mailboxes_.find(entity);
    if (it == mailboxes_.end() || it->second->destination() != destination) return true;
    if (!it->second->retire(destination_idle)) return false;
    retired = std::move(it->second);
    mailboxes_.erase(it);
  }
  return true;
}

Status Orchestrator::submit(sdk::Event event, ActionDestination* destination) {
  // Counted before stopped_ is read (both sequentially consistent): either
  // stop() sees this call inside and waits, or this call sees stopped_. A
  // waiting stop() has set stopped_ first, so only then is a wake-up owed.
  struct Inside {
    std::atomic<std::size_t>& count;
    const std::atomic<bool>& stopping;
    Inside(std::atomic<std::size_t>& c, const std::atomic<bool>& s) : count(c), stopping(s) { count.fetch_add(1); }
    ~Inside() {
      count.fetch_sub(1);
      if (stopping) count.notify_all();
    }
  } inside(submits_inside_, stopped_);
  if (stopped_) return Status::error(sdk::StatusCode::unavailable, "the orchestrator is shutting down");
  if (event.entity.empty()) return Status::invalid("event has no entity");
  if (!sdk::is_known_event_class(event.class_name)) {
    return Status::invalid("unknown event class \"" + event.class_name + "\"");
  }
  if (event.uuid.empty()) event.uuid = sdk::new_uuid();
  std::shared_ptr<EntityMailbox> mailbox = mailbox_for(event.entity, destination);
  mailbox->hold();
  {
    PendingShard& shard = shard_for(event.uuid);
    std::lock_guard lock(shard.mutex);
    auto [it, inserted] =
        shard.events.try_emplace(event.uuid, options_.collect_trace
                                                 ? PendingEvent{event, std::chrono::system_clock::now(),
                                                                std::chrono::steady_clock::now(), mailbox.get()}
                                                 : PendingEvent{routing_part(event), {},
                                                                std::chrono::steady_clock::now(), mailbox.get()});
    if (!inserted) {
      mailbox->release();
      return Status::invalid("an event with uuid " + event.uuid + " is already pending");
    }
  }
  if (enabled_) {
    if (auto failure = call_plugin(queue_event_label_, [&] { policy_->queue_event(std::move(event)); })) {
      fail_open(*failure);
    }
  } else {
    answer(sdk::default_action(event));
  }
  return Status::ok();
}

void Orchestrator::fail_open(const PluginCallFailure& failure) {
  if (failure.crashed) policy_crashed_ = true;
  // Set before orchestration is disabled: set_enabled() reads it after.
  policy_failed_ = true;
  {
    std::lock_guard lock(failure_mutex_);
    if (!policy_failure_) policy_failure_ = failure.reason;
  }
  enabled_ = false;
  // An event submitted meanwhile either is in the pending table by now, or
  // its submit() reads enabled_ after this store and passes it through.
  log_->error("{}; the policy's state is unknown: its held events get their default action and the rest of the run "
              "passes through unperturbed (fail open); a run that nmz run records is broken{}",
              failure.reason, failure.crashed ? "; the crashed policy is called no more, not even its stop()" : "");
  release_pending();
}

std::optional<std::string> Orchestrator::policy_failure() const {
  std::lock_guard lock(failure_mutex_);
  return policy_failure_;
}

void Orchestrator::PolicySink::emit(sdk::Action action) noexcept {
  HostCallbackScope host_code;
  if (!orphaned_) orchestrator_.emit(std::move(action));
}

void Orchestrator::emit(sdk::Action action) noexcept {
  if (policy_failed_) {
    log_->debug("dropped {} for event {} of entity \"{}\": the policy failed", action.class_name, action.event_uuid,
                action.entity);
    return;
  }
  answer(std::move(action));
}

void Orchestrator::answer(sdk::Action action) noexcept {
  try {
    std::optional<PendingEvent> cause;
    if (!action.event_uuid.empty()) {
      PendingShard& shard = shard_for(action.event_uuid);
      std::lock_guard lock(shard.mutex);
      auto node = shard.events.extract(action.event_uuid);
      if (!node.empty()) cause = std::move(node.mapped());
    }
    if (!action.event_uuid.empty() && !cause) {
      log_->warn("dropped {} for event {}: that event is not pending (answered twice, released after actionTimeout, or unknown)",
                 action.class_name, action.event_uuid);
      return;
    }
    // The event held its entity's mailbox until its action was posted.
    struct ReleaseHold {
      EntityMailbox* mailbox;
      ~ReleaseHold() {
        if (mailbox != nullptr) mailbox->release();
      }
    } release_hold{cause ? cause->mailbox : nullptr};
    if (log_->should_log(spdlog::level::debug)) {
      log_->debug("{} {} for {} {} of entity \"{}\"", action.class_name, action.uuid,
                  cause ? cause->event.class_name : "no event", action.event_uuid, action.entity);
    }
    std::optional<sdk::Action> traced;
    std::chrono::system_clock::time_point triggered;
    if (options_.collect_trace) {
      traced = action;
      triggered = std::chrono::system_clock::now();
    }
    if (action.class_name == sdk::action_class::shell) {
      if (shell_runner_) shell_runner_->enqueue(sdk::option_string(action.option, "command").value_or(""));
    } else if (!sdk::is_orchestrator_side_only(action)) {
      route(std::move(action), cause && cause->event.entity == action.entity ? cause->mailbox : nullptr);
    }
    if (traced) {
      TraceEntry entry{std::move(*traced), std::nullopt, {}, triggered};
      if (cause) {
        entry.event_arrived = cause->arrived;
        entry.event = std::move(cause->event);
      }
      std::lock_guard lock(trace_mutex_);
      trace_.push_back(std::move(entry));
    }
  } catch (const std::exception& e) {
    log_->error("failed to handle an action: {}", e.what());
  }
}

void Orchestrator::route(sdk::Action action, EntityMailbox* mailbox) {
  std::shared_ptr<EntityMailbox> found;
  if (mailbox == nullptr) {
    found = mailbox_for(action.entity, nullptr);
    mailbox = found.get();
  }
  if (mailbox == nullptr || !mailbox->post(std::move(action))) {
    log_->warn("dropped {} for entity \"{}\": no endpoint has that entity (unknown, or it expired)",
               action.class_name, action.entity);
  }
}

void Orchestrator::release_pending() {
  std::vector<sdk::Action> releases;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [uuid, pending] : shard.events) releases.push_back(sdk::default_action(pending.event));
  }
  if (!releases.empty()) log_->info("released {} held event(s) with their default action", releases.size());
  for (auto& action : releases) answer(std::move(action));
}

void Orchestrator::expire_pending() {
  const auto timeout = std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.action_timeout);
  // A quarter of the timeout late at most, and no busier than every 1 ms.
  const auto period = std::clamp<std::chrono::steady_clock::duration>(timeout / 4, std::chrono::milliseconds(1),
                                                                       std::chrono::seconds(1));
  std::unique_lock lock(expiry_mutex_);
  while (!expiry_wakeup_.wait_for(lock, period, [this] { return expiry_stopping_; })) {
    lock.unlock();
    release_expired(std::chrono::steady_clock::now() - timeout);
    lock.lock();
  }
}

void Orchestrator::release_expired(std::chrono::steady_clock::time_point submitted_before) {
  std::vector<sdk::Event> expired;
  for (auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    for (const auto& [uuid, pending] : shard.events) {
      if (pending.submitted < submitted_before) expired.push_back(routing_part(pending.event));
    }
  }
  if (expired.empty()) return;
  const sdk::Event& first = expired.front();
  log_->warn("policy \"{}\" did not answer {} event(s) within actionTimeout {} (first: {} {} of entity \"{}\"): "
             "released with their default action (fail open)",
             policy_.name, expired.size(), sdk::format_duration(options_.action_timeout), first.class_name, first.uuid,
             first.entity);
  for (const auto& event : expired) answer(sdk::default_action(event));
}

void Orchestrator::set_enabled(bool enabled) {
  if (enabled && policy_failed_) {
    log_->warn("orchestration stays disabled: {}", policy_failure().value_or("the policy failed"));
    return;
  }
  const bool was = enabled_.exchange(enabled);
  if (enabled && policy_failed_) {
    // The policy failed meanwhile, and fail_open() may have disabled
    // orchestration before this call enabled it.
    enabled_ = false;
    return;
  }
  if (was == enabled) {
    log_->warn("orchestration is already {}", enabled ? "enabled" : "disabled");
  } else {
    log_->info("orchestration {}", enabled ? "enabled" : "disabled");
  }
}

Trace Orchestrator::take_trace() {
  std::lock_guard lock(trace_mutex_);
  return std::exchange(trace_, {});
}

std::size_t Orchestrator::pending_events() const {
  std::size_t count = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    count += shard.events.size();
  }
  return count;
}

}  // namespace nmz::core
