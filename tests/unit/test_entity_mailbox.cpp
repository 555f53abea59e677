// SPDX-License-Identifier: Apache-2.0
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "orchestrator/entity_mailbox.hpp"

using namespace std::chrono_literals;
using namespace nmz;
using core::EntityMailbox;

namespace {

sdk::Action numbered(int n) {
  sdk::Action action;
  action.uuid = std::to_string(n);
  action.class_name = "NopAction";
  return action;
}

// Records who delivered what, and fails the test if two deliveries overlap.
class Recorder : public core::ActionDestination {
 public:
  explicit Recorder(bool accepts_inline) : accepts_inline_(accepts_inline) {}

  void deliver(sdk::Action action) noexcept override {
    if (in_deliver_.exchange(true)) overlapped_ = true;
    on_deliver(action);
    {
      std::lock_guard lock(mutex_);
      uuids_.push_back(action.uuid);
      threads_.push_back(std::this_thread::get_id());
    }
    in_deliver_ = false;
    changed_.notify_all();
  }
  [[nodiscard]] bool accepts_inline_delivery() const noexcept override { return accepts_inline_; }

  void wait_for(std::size_t count) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return uuids_.size() >= count; });
  }
  std::vector<std::string> uuids() {
    std::lock_guard lock(mutex_);
    return uuids_;
  }
  std::vector<std::thread::id> threads() {
    std::lock_guard lock(mutex_);
    return threads_;
  }
  bool overlapped() const { return overlapped_; }

 protected:
  virtual void on_deliver(const sdk::Action&) {}

 private:
  bool accepts_inline_;
  std::atomic<bool> in_deliver_{false};
  std::atomic<bool> overlapped_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> uuids_;
  std::vector<std::thread::id> threads_;
};

// Posts a follow-up into its own mailbox from inside deliver, as an
// inspector does when on_action submits the next event.
class Reposting final : public Recorder {
 public:
  Reposting() : Recorder(true) {}
  EntityMailbox* mailbox = nullptr;

 protected:
  void on_deliver(const sdk::Action& action) override {
    if (action.uuid == "1") mailbox->post(numbered(2));
  }
};

}  // namespace

TEST_CASE("an idle mailbox delivers on the posting thread when the destination accepts it") {
  Recorder inline_destination(true);
  Recorder threaded_destination(false);
  {
    EntityMailbox inline_box(&inline_destination);
    EntityMailbox threaded_box(&threaded_destination);
    inline_box.post(numbered(1));
    threaded_box.post(numbered(1));
    threaded_destination.wait_for(1);
    CHECK(inline_destination.uuids() == std::vector<std::string>{"1"});  // already there: it was inline
    CHECK(inline_destination.threads().at(0) == std::this_thread::get_id());
    CHECK(threaded_destination.threads().at(0) != std::this_thread::get_id());
  }
}

TEST_CASE("an action posted from inside an inline delivery waits for it, then comes in order") {
  Reposting destination;
  {
    EntityMailbox mailbox(&destination);
    destination.mailbox = &mailbox;
    mailbox.post(numbered(1));
    destination.wait_for(2);
  }
  CHECK(destination.uuids() == std::vector<std::string>{"1", "2"});
  CHECK_FALSE(destination.overlapped());
}

TEST_CASE("concurrent posters: one delivery at a time, each poster's actions in its order, none lost") {
  for (bool accepts_inline : {true, false}) {
    CAPTURE(accepts_inline);
    Recorder destination(accepts_inline);
    constexpr int kThreads = 4;
    constexpr int kEach = 2000;
    {
      EntityMailbox mailbox(&destination);
      std::vector<std::thread> posters;
      for (int t = 0; t < kThreads; ++t) {
        posters.emplace_back([&mailbox, t] {
          for (int i = 0; i < kEach; ++i) mailbox.post(numbered(t * kEach + i));
        });
      }
      for (auto& poster : posters) poster.join();
    }  // the destructor delivers whatever is still queued
    auto uuids = destination.uuids();
    REQUIRE(uuids.size() == static_cast<std::size_t>(kThreads * kEach));
    std::vector<int> last(kThreads, -1);
    for (const auto& uuid : uuids) {
      int n = std::stoi(uuid);
      CHECK(n % kEach > last[n / kEach]);
      last[n / kEach] = n % kEach;
    }
    CHECK_FALSE(destination.overlapped());
  }
}

TEST_CASE("a mailbox retires only when nothing of its entity is held, queued or being delivered") {
  const auto idle = [] { return true; };
  SUBCASE("held events and a busy destination keep it") {
    Recorder destination(true);
    EntityMailbox mailbox(&destination);
    mailbox.hold();
    CHECK_FALSE(mailbox.retire(idle));
    mailbox.release();
    CHECK_FALSE(mailbox.retire([] { return false; }));
    CHECK(mailbox.retire(idle));
    sdk::Action late = numbered(1);
    CHECK_FALSE(mailbox.post(std::move(late)));
    CHECK(late.uuid == "1");  // refused, so left to the caller (who logs it)
    CHECK(destination.uuids().empty());
  }
  SUBCASE("a delivery in progress keeps it") {
    struct Blocking final : Recorder {
      Blocking() : Recorder(true) {}
      std::mutex mutex;
      std::condition_variable changed;
      bool inside = false;
      bool go_on = false;
      void on_deliver(const sdk::Action&) override {
        std::unique_lock lock(mutex);
        inside = true;
        changed.notify_all();
        changed.wait(lock, [&] { return go_on; });
      }
    } destination;
    EntityMailbox mailbox(&destination);
    std::thread poster([&] { mailbox.post(numbered(1)); });
    {
      std::unique_lock lock(destination.mutex);
      destination.changed.wait(lock, [&] { return destination.inside; });
    }
    CHECK_FALSE(mailbox.retire(idle));
    {
      std::lock_guard lock(destination.mutex);
      destination.go_on = true;
    }
    destination.changed.notify_all();
    poster.join();
    CHECK(mailbox.retire(idle));
  }
  SUBCASE("retiring stops the delivery thread of a destination that has one") {
    Recorder destination(false);
    EntityMailbox mailbox(&destination);
    mailbox.post(numbered(1));
    destination.wait_for(1);
    // The worker may still be between deliver() and marking itself idle.
    while (!mailbox.retire(idle)) std::this_thread::yield();
    CHECK_FALSE(mailbox.post(numbered(2)));
    CHECK(destination.uuids() == std::vector<std::string>{"1"});
  }
}
