// SPDX-License-Identifier: Apache-2.0
// "mypolicy": every event is held for `holdFor` (explorePolicyParam), then
// answered with its default action. When a LogEvent of the entity
// `shellOnMatchEntity` has a message containing `shellOnMatch`, the policy
// also asks the orchestrator to run `shellCommand` (say, kill a node when it
// logs that it became leader).
//
// A shell action runs `sh -c` as the orchestrator's user, often root. Events
// come from whoever can submit them (docs/rest-api.md, "Who can trigger shell
// actions"): trigger on one entity your own inspector owns, keep REST on
// loopback or behind restToken, and never build the command from event text.
// `tag` is logged so users can see their parameters arrive. Start your own
// policy from here.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <nmz/sdk/guard.hpp>

#include "components.hpp"

namespace {

using Clock = std::chrono::steady_clock;

class MyPolicy final : public nmz::sdk::ExplorePolicy {
 public:
  nmz::sdk::Status configure(const nmz::sdk::ComponentContext& context) noexcept override {
    auto hold = context.options().get_duration("holdFor");
    if (!hold) return hold.status();
    hold_for_ = hold->value_or(std::chrono::milliseconds(0));
    if (hold_for_.count() < 0) return context.options().invalid("holdFor", "a duration of 0 or more");
    auto tag = context.options().get_string("tag");
    if (!tag) return tag.status();
    auto match = context.options().get_string("shellOnMatch");
    if (!match) return match.status();
    auto command = context.options().get_string("shellCommand");
    if (!command) return command.status();
    auto entity = context.options().get_string("shellOnMatchEntity");
    if (!entity) return entity.status();
    shell_on_match_ = match->value_or("");
    shell_command_ = command->value_or("");
    shell_entity_ = entity->value_or("");
    if (!shell_on_match_.empty() && shell_command_.empty()) {
      return context.options().invalid("shellCommand", "a command, since shellOnMatch is set");
    }
    if (!shell_on_match_.empty() && shell_entity_.empty()) {
      return context.options().invalid("shellOnMatchEntity",
                                       "the entity whose LogEvents may trigger shellCommand, since shellOnMatch is set");
    }
    context.logger().info("mypolicy configured: holdFor=" + std::to_string(hold_for_.count()) +
                          "ns tag=" + tag->value_or("(none)"));
    return nmz::sdk::Status::ok();
  }

  nmz::sdk::Status start(nmz::sdk::ActionSink& sink) noexcept override {
    sink_ = &sink;
    // guarded: std::thread throws when no thread can be started, and an
    // exception must not leave a noexcept method.
    return nmz::sdk::guarded("mypolicy: ", [&] {
      worker_ = std::thread([this] { run(); });
      return nmz::sdk::Status::ok();
    });
  }

  void queue_event(nmz::sdk::Event event) noexcept override {
    try {
      std::lock_guard lock(mutex_);
      if (!shell_on_match_.empty() && event.entity == shell_entity_ && event.class_name == nmz::sdk::event_class::log &&
          nmz::sdk::option_string(event.option, "message").value_or("").find(shell_on_match_) != std::string::npos) {
        held_.push_back({Clock::now() + hold_for_, nmz::sdk::make_shell_action(shell_command_)});
      }
      held_.push_back({Clock::now() + hold_for_, nmz::sdk::default_action(event)});
    } catch (...) {
      return;  // the host answers it at stop
    }
    wake_.notify_one();
  }

  void stop() noexcept override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (worker_.joinable()) worker_.join();
  }

 private:
  struct Held {
    Clock::time_point due;
    nmz::sdk::Action action;
  };

  // Events all wait the same time, so the oldest is always due first.
  void run() {
    std::unique_lock lock(mutex_);
    while (!stopping_ || !held_.empty()) {
      if (held_.empty()) {
        wake_.wait(lock);
        continue;
      }
      if (!stopping_ && Clock::now() < held_.front().due) {
        wake_.wait_until(lock, held_.front().due);
        continue;
      }
      auto action = std::move(held_.front().action);
      held_.pop_front();
      lock.unlock();
      sink_->emit(std::move(action));
      lock.lock();
    }
  }

  std::chrono::nanoseconds hold_for_{0};
  std::string shell_on_match_;
  std::string shell_command_;
  std::string shell_entity_;
  nmz::sdk::ActionSink* sink_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Held> held_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace

std::unique_ptr<nmz::sdk::ExplorePolicy> make_my_policy() noexcept {
  return nmz::sdk::make_policy<MyPolicy>();
}
