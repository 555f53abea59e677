// SPDX-License-Identifier: Apache-2.0
// Lost wake-up, long-running (half a second): a consumer checks for work
// without holding the lock, then goes to sleep on the condition variable.
// A producer that hands over an item in between wakes nobody, and both wait
// for each other from then on. The producer sees that it happened (the
// consumer announces, under the lock, when it is between its check and its
// wait) and reports it at once; a progress watchdog is only a backstop.
// The producer is normally busy well past that instant. Fixed: the check
// and the wait under the lock, with a predicate.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "flaky.hpp"

namespace {

constexpr int kItems = 60;
constexpr long kProduce = 6000;  // units of flaky::burn
constexpr long kConsume = 1000;
constexpr long kPrepareToSleep = 1000;

std::mutex lock;
std::condition_variable item_ready;
std::condition_variable item_taken;
std::atomic<bool> ready{false};
[[maybe_unused]] bool consumer_about_to_wait = false;  // guarded by `lock`
flaky::Watchdog* watchdog = nullptr;

void consumer() {
  for (int i = 0; i < kItems; ++i) {
#ifdef FIXED
    {
      std::unique_lock held(lock);
      item_ready.wait(held, [] { return ready.load(); });
    }
#else
    while (!ready.load()) {
      {
        std::lock_guard held(lock);
        consumer_about_to_wait = true;
      }
      flaky::burn(kPrepareToSleep);
      std::unique_lock held(lock);
      consumer_about_to_wait = false;
      item_ready.wait(held);
    }
#endif
    {
      std::lock_guard held(lock);
      ready = false;
    }
    item_taken.notify_one();
    flaky::burn(kConsume);
    watchdog->progress();
  }
}

void producer() {
  for (int i = 0; i < kItems; ++i) {
    flaky::burn(kProduce);
    {
      std::lock_guard held(lock);
#ifndef FIXED
      if (consumer_about_to_wait && !ready.load()) {
        flaky::fail("flaky-missed-wakeup", "lost wake-up: an item was handed over while the consumer was between "
                                           "its check and its wait");
      }
#endif
      ready = true;
    }
    item_ready.notify_one();
    std::unique_lock held(lock);
    item_taken.wait(held, [] { return !ready.load(); });
  }
}

}  // namespace

int main() {
  flaky::Watchdog stuck("flaky-missed-wakeup", "lost wake-up: the consumer sleeps while an item is ready",
                        std::chrono::seconds(20));
  watchdog = &stuck;
  std::thread c(consumer);
  std::thread p(producer);
  c.join();
  p.join();
  stuck.done();
  return 0;
}
